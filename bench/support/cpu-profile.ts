import fs from 'node:fs';
import { REPO_ROOT } from './node-process';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** Share of the busy time (idle left out), 0..1. */
  share: number;
  ms: number;
}

export interface ProfileSummary {
  /** Time the process was on the CPU in the window, ms. */
  busyMs: number;
  /** Length of the window the samples came from, ms. */
  windowMs: number;
  /** Busy share spent collecting garbage. */
  gcShare: number;
  functions: SelfTime[];
  modules: SelfTime[];
  /** Every module, for grouping. */
  allModules: SelfTime[];
  /** Inclusive time by our own source folders (src/services, src/resolvers, ...). */
  ownCode: SelfTime[];
}

const IDLE = new Set(['(idle)', '(root)']);

/**
 * Self time per function and per module (npm package, Node internal area or our own file) from a
 * V8 `.cpuprofile`, as shares of the time the process was busy. With a window (monotonic µs, the
 * clock V8 stamps samples with), only the samples in it count: start-up and teardown are left out.
 */
export function summariseProfile(file: string, window?: { startUs: number; endUs: number }, top = 12): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  let firstUs = Number.POSITIVE_INFINITY;
  let lastUs = 0;
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.startUs || at > window.endUs)) return;
    firstUs = Math.min(firstUs, at);
    lastUs = Math.max(lastUs, at);
    selfUs.set(nodeId, (selfUs.get(nodeId) ?? 0) + delta);
  });

  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const ownCode = new Map<string, number>();
  let busyUs = 0;
  let gcUs = 0;
  for (const [nodeId, us] of selfUs) {
    const frame = byId.get(nodeId)!.callFrame;
    if (IDLE.has(frame.functionName)) continue;
    busyUs += us;
    if (frame.functionName === '(garbage collector)') gcUs += us;
    const where = frame.url
      ? locate(frame.url)
      : { module: frame.functionName.startsWith('(') ? frame.functionName : '(V8 builtins / native)', file: '' };
    const label = frame.url ? `${frame.functionName || '(anonymous)'} ${where.file}:${frame.lineNumber + 1}` : frame.functionName || '(native)';
    functions.set(label, (functions.get(label) ?? 0) + us);
    modules.set(where.module, (modules.get(where.module) ?? 0) + us);

    // Inclusive time of our own folders: charge each sample once to every folder on its stack.
    const folders = new Set<string>();
    for (let id: number | undefined = nodeId; id !== undefined; id = parentOf.get(id)) {
      const folder = ownFolder(byId.get(id)!.callFrame.url);
      if (folder) folders.add(folder);
    }
    for (const folder of folders) ownCode.set(folder, (ownCode.get(folder) ?? 0) + us);
  }

  const ranked = (totals: Map<string, number>, limit: number): SelfTime[] =>
    [...totals.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));

  return {
    busyMs: busyUs / 1000,
    windowMs: lastUs > firstUs ? (lastUs - firstUs) / 1000 : 0,
    gcShare: busyUs > 0 ? gcUs / busyUs : 0,
    functions: ranked(functions, top),
    modules: ranked(modules, top),
    allModules: ranked(modules, Number.POSITIVE_INFINITY),
    ownCode: ranked(ownCode, 8),
  };
}

/** Which package or area a script belongs to, and a short file name for it. */
function locate(url: string): { module: string; file: string } {
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    const area = parts[0] === 'internal' ? `node:internal/${parts[1] ?? ''}`.replace(/\.js$/, '') : `node:${parts[0]}`;
    return { module: area, file: url };
  }
  const filePath = url.replace(/^file:\/\//, '');
  const modulesAt = filePath.lastIndexOf('/node_modules/');
  if (modulesAt >= 0) {
    const rest = filePath.slice(modulesAt + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return { module: pkg, file: `${pkg}/${rest.slice(rest[0].startsWith('@') ? 2 : 1).join('/')}` };
  }
  const relative = filePath.startsWith(REPO_ROOT) ? filePath.slice(REPO_ROOT.length + 1) : filePath;
  return { module: relative, file: relative };
}

function ownFolder(url: string): string | null {
  const filePath = url.replace(/^file:\/\//, '');
  if (!filePath.startsWith(`${REPO_ROOT}/src/`)) return null;
  const parts = filePath.slice(REPO_ROOT.length + 1).split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : parts.join('/');
}

export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
