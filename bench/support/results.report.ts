import fs from 'node:fs';
import type { ScenarioResult } from '../scenarios/scenario';
import { formatShare, type ProfileSummary, type SelfTime } from './cpu-profile';
import type { MachineFacts } from './machine';

/** Everything below this line in RESULTS.md is written by hand and kept when the bench rewrites the file. */
export const NOTES_MARKER = '<!-- Hand-written notes below this line are kept when `npm run bench` rewrites the file. -->';

export interface ProfiledScenario {
  result: ScenarioResult;
  profile: ProfileSummary | null;
  /** Why there is no profile, when there is none. */
  profileNote?: string;
}

export interface ReportInput {
  command: string;
  machine: MachineFacts;
  /** How each gateway process was started. */
  gatewayCommand: string;
  baseline: string;
  kaspi: string;
  scenarios: ProfiledScenario[];
  failures: Array<{ id: string; error: string }>;
  totalSeconds: number;
}

/** RESULTS.md: machine, results table, targets, per-scenario details, profile summaries, then the kept notes. */
export function renderReport(input: ReportInput, keptNotes: string | null): string {
  const { machine } = input;
  const lines: string[] = [
    '# Benchmark results',
    '',
    `Written by \`${input.command}\` on ${machine.date} in ${Math.floor(input.totalSeconds / 60)} min ${Math.round(input.totalSeconds % 60)} s. Run it again to refresh this file; \`npm run bench -- --help\` lists the options.`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| Command | \`${input.command}\` |`,
    `| Date | ${machine.date} |`,
    `| CPU | ${machine.cores} × ${machine.cpuModel} |`,
    `| Memory | ${machine.memoryGiB.toFixed(1)} GiB |`,
    `| OS | ${machine.os} |`,
    `| Node | ${machine.node} |`,
    `| PostgreSQL | ${machine.postgres}, local, server defaults |`,
    `| Gateway | commit ${machine.commit}; \`NODE_ENV=production\`, \`${input.gatewayCommand}\` |`,
    `| Baseline | ${input.baseline} |`,
    `| Kaspi | ${input.kaspi} |`,
    `| Load average at start | ${machine.loadAverage.toFixed(2)} (1 min); what else ran during each scenario is under "other processes" in its CPU line |`,
    '',
    `Gateway, PostgreSQL, the sandbox and the load generator (autocannon, graphql-ws clients) all share these ${machine.cores} cores. Each scenario gets a gateway process and a database of its own; peak RSS is the gateway's VmHWM over its life, warm-up included.`,
    '',
    '## Results',
    '',
    'Every gateway figure beside the bare Apollo baseline measured under the same load in alternating slices of the same run (B G G B …), and the ratio of the two: the ratio is what carries from one machine or one hour to another; the absolute figures say how busy this one was.',
    '',
    '| Scenario | Load | Throughput | p50 | p99 | Peak RSS | Baseline, same slices | Ratio to baseline |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { result } of input.scenarios) {
    for (const row of result.rows) {
      lines.push(`| ${row.label} | ${row.load} | ${row.throughput} | ${row.p50} | ${row.p99} | ${row.peakRss} | ${row.baseline ?? ''} | ${row.ratio ?? ''} |`);
    }
  }
  for (const failure of input.failures) lines.push(`| ${failure.id} | failed: ${oneLine(failure.error)} | | | | | | |`);

  const targets = input.scenarios.flatMap(({ result }) => result.targets);
  lines.push(
    '',
    '## Targets',
    '',
    `${targets.filter((target) => target.met).length} of ${targets.length} met.`,
    '',
    '| Scenario | Target | Measured | Met | Missed by |',
    '|---|---|---|---|---|',
  );
  for (const { result } of input.scenarios) {
    for (const target of result.targets) {
      lines.push(`| ${result.id} | ${target.target} | ${target.measured} | ${target.met ? 'yes' : '**no**'} | ${target.gap ?? ''} |`);
    }
  }

  lines.push('', '## Details', '');
  for (const { result } of input.scenarios) {
    lines.push(`### ${result.title}`, '', ...result.details.map((detail) => `- ${detail}`), '');
    if (result.tables?.length) lines.push(...result.tables, '');
  }

  lines.push('## What the profile shows', '');
  const profiled = input.scenarios.filter((entry) => entry.profile || entry.profileNote);
  if (profiled.length === 0) lines.push('No scenario was profiled in this run.', '');
  for (const entry of profiled) {
    lines.push(`### ${entry.result.title}`, '');
    if (!entry.profile) {
      lines.push(entry.profileNote ?? 'No profile.', '');
      continue;
    }
    lines.push(...renderProfile(entry.profile), '');
  }

  lines.push(NOTES_MARKER, '');
  if (keptNotes?.trim()) lines.push(keptNotes.trim(), '');
  return lines.join('\n');
}

/** The hand-written notes of an existing RESULTS.md, if it has any. */
export function readKeptNotes(file: string): string | null {
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  const at = text.indexOf(NOTES_MARKER);
  return at < 0 ? null : text.slice(at + NOTES_MARKER.length);
}

function renderProfile(profile: ProfileSummary): string[] {
  const groups = groupShares(profile.allModules);
  const lines = [
    `A second, shorter run of the same scenario with the gateway under \`node --cpu-prof\`, samples from the measured window only (${(profile.windowMs / 1000).toFixed(1)} s, the gateway busy ${Math.round((profile.busyMs / Math.max(profile.windowMs, 1)) * 100)}% of it). Where the gateway's busy time goes (self time): ${groups
      .map((group) => `${group.name} ${formatShare(group.share)}`)
      .join(', ')}; garbage collection ${formatShare(profile.gcShare)}; the rest is V8 itself (compiler, builtins, \`(program)\`).`,
    '',
    '| Module (self time) | Share | | Function (self time) | Share |',
    '|---|---|---|---|---|',
  ];
  const rows = Math.max(profile.modules.length, profile.functions.length);
  for (let index = 0; index < rows; index += 1) {
    const module = profile.modules[index];
    const fn = profile.functions[index];
    lines.push(
      `| ${module ? `\`${module.name}\`` : ''} | ${module ? formatShare(module.share) : ''} | | ${fn ? `\`${escapePipes(fn.name)}\`` : ''} | ${fn ? formatShare(fn.share) : ''} |`,
    );
  }
  if (profile.ownCode.length > 0) {
    lines.push(
      '',
      `Our own code, inclusive (time with a frame of it on the stack, so a folder that wraps another's calls carries their time too): ${profile.ownCode.map((entry) => `\`${entry.name}\` ${formatShare(entry.share)}`).join(', ')}.`,
    );
  }
  return lines;
}

const GROUPS: Array<{ name: string; test: (module: string) => boolean }> = [
  { name: 'ORM (MikroORM)', test: (module) => module.startsWith('@mikro-orm/') || module === 'knex' },
  { name: 'PostgreSQL driver', test: (module) => /^(pg|pg-[a-z-]+|postgres-[a-z-]+|pgpass)$/.test(module) },
  {
    name: 'GraphQL (graphql-js, Apollo, type-graphql, class-validator, graphql-ws)',
    test: (module) =>
      /^(graphql|type-graphql|class-validator|class-transformer|graphql-ws|@escape\.tech\/graphql-armor|@graphql-tools\/.+|@graphql-yoga\/.+|@repeaterjs\/.+|@apollo\/.+|@as-integrations\/.+|@envelop\/.+|@whatwg-node\/.+)$/.test(module),
  },
  {
    name: 'HTTP and WebSocket (Node http, Express, ws)',
    test: (module) =>
      /^(express|router|body-parser|raw-body|cors|ws|finalhandler|send|qs|iconv-lite|type-is|accepts|negotiator|content-type|on-finished|mime-types|path-to-regexp)$/.test(module) ||
      /^node:(_http|http|internal\/http|https|internal\/url)/.test(module),
  },
  { name: 'Kaspi client (axios)', test: (module) => /^(axios|follow-redirects|form-data|proxy-from-env)$/.test(module) },
  { name: 'logging (pino)', test: (module) => module.startsWith('pino') || module === 'sonic-boom' || module === 'thread-stream' },
  { name: 'zod', test: (module) => module === 'zod' },
  { name: 'other Node internals (streams, net, timers, crypto)', test: (module) => module.startsWith('node:') },
  { name: 'our code (src/)', test: (module) => module.startsWith('src/') },
];

/** Busy time by kind of work, from the per-module shares. */
function groupShares(modules: SelfTime[]): Array<{ name: string; share: number }> {
  const totals = new Map<string, number>();
  for (const module of modules) {
    if (module.name.startsWith('(')) continue;
    const group = GROUPS.find((candidate) => candidate.test(module.name))?.name ?? 'other';
    totals.set(group, (totals.get(group) ?? 0) + module.share);
  }
  return [...totals.entries()].map(([name, share]) => ({ name, share })).sort((a, b) => b.share - a.share);
}

function escapePipes(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function oneLine(text: string): string {
  return escapePipes(text.split('\n')[0].slice(0, 200));
}
