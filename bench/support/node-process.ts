import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface NodeProcessOptions {
  /** For logs and errors: "gateway", "sandbox", "baseline". */
  name: string;
  /** The entry point, relative to the repository root: TypeScript (compiled on load) or built JavaScript. */
  entry: string;
  env: Record<string, string>;
  /** Where stdout and stderr go. */
  logFile: string;
  /** A URL that answers 2xx once the process is ready. */
  readyUrl: string;
  readyTimeoutMs?: number;
  /** Node flags put before `-r @swc-node/register`, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** A command the process runs under, e.g. `valgrind --tool=callgrind` to count instructions. */
  wrapper?: string[];
}

export interface MemoryReading {
  /** Resident set size now, MiB. */
  rssMb: number;
  /** The highest RSS the process has had (VmHWM), MiB. */
  peakRssMb: number;
}

/**
 * One of the processes the bench starts: the sandbox, a gateway, the baseline server. Each is a
 * plain `node` (not `npm run`), so that its pid is the one whose memory and CPU time we read.
 */
export class NodeProcess {
  private static readonly live = new Set<NodeProcess>();
  private exited: Promise<number | null>;
  private lastMemory: MemoryReading = { rssMb: 0, peakRssMb: 0 };
  private stopping = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        // A process that dies under a scenario spoils its figures: say so where the run is watched.
        if (!this.stopping) {
          process.stderr.write(`[bench] ${name} (pid ${child.pid}) exited on its own: code ${code}, signal ${signal}; its log: ${logFile}\n`);
        }
        resolve(code);
      }),
    );
    NodeProcess.live.add(this);
    void this.exited.then(() => NodeProcess.live.delete(this));
  }

  /** Stops every process the bench started that is still running: for an interrupted run. */
  static async stopAll(): Promise<void> {
    await Promise.all([...NodeProcess.live].map((running) => running.stop(5_000)));
  }

  static async start(options: NodeProcessOptions): Promise<NodeProcess> {
    fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
    const log = fs.openSync(options.logFile, 'a');
    const register = options.entry.endsWith('.ts') ? ['-r', '@swc-node/register'] : [];
    const argv = [...(options.nodeFlags ?? []), ...register, options.entry];
    const [command, ...args] = options.wrapper?.length ? [...options.wrapper, process.execPath, ...argv] : [process.execPath, ...argv];
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const started = new NodeProcess(options.name, child, options.logFile);
    try {
      await started.waitUntilReady(options.readyUrl, options.readyTimeoutMs ?? 60_000);
    } catch (error) {
      await started.stop();
      throw error;
    }
    return started;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Read from /proc; the last good reading once the process is gone. */
  memory(): MemoryReading {
    const status = readProc(`/proc/${this.pid}/status`);
    if (status) {
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
      this.lastMemory = { rssMb: kib('VmRSS') / 1024, peakRssMb: kib('VmHWM') / 1024 };
    }
    return this.lastMemory;
  }

  /** Forgets the peak so far (Linux `clear_refs` 5), so that the next peak covers only what follows. */
  resetPeakMemory(): void {
    try {
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      // Not allowed everywhere; the peak then covers the whole life of the process.
    }
  }

  /** CPU seconds (user + system) used so far. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  /** Resolves once the process has used under 10% of a core for half a second (or at the timeout). */
  async waitUntilIdle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await sleep(1_000);
    while (Date.now() < deadline) {
      const before = this.cpuSeconds();
      await sleep(500);
      if (this.cpuSeconds() - before < 0.05) return;
    }
  }

  /** SIGTERM, then SIGKILL if it lingers. Resolves with the exit code. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    this.stopping = true;
    this.memory();
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  /** The last lines of its log, for an error message. */
  tail(lines = 20): string {
    const text = readProc(this.logFile) ?? '';
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  private async waitUntilReady(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited during start-up:\n${this.tail()}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }
}

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return 0;
  // The command name may hold spaces; the fields we want come after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds of every PostgreSQL process on this machine: the server's share of a run. */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = readProc(`/proc/${entry}/comm`);
    if (comm?.startsWith('postgres')) total += processCpuSeconds(Number(entry));
  }
  return total;
}

/** CPU seconds the whole machine has spent busy (not idle, not waiting for I/O) since boot. */
export function machineBusySeconds(): number {
  const line = readProc('/proc/stat')?.split('\n')[0];
  if (!line) return 0;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
}

// USER_HZ is 100 on every Linux this runs on.
const CLOCK_TICKS_PER_SECOND = 100;

function readProc(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
