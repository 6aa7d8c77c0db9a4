import autocannon, { type AutocannonRequest } from 'autocannon';
import os from 'node:os';
import { percentile } from '../scenarios/scenario';
import { machineBusySeconds, postgresCpuSeconds, type NodeProcess } from './node-process';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** Requests per second over all connections; unlimited when absent. */
  overallRate?: number;
  headers?: Record<string, string>;
  /** POST with a fixed body or one made per request; GET without one. */
  body?: string | (() => string);
  /** Whether a response body is a success; the others are counted as failures. */
  verify: (body: string) => boolean;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  /** Successful answers per second. */
  throughput: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Connection errors, timeouts, non-2xx answers and bodies that failed `verify`. */
  failures: number;
}

interface RawLoad {
  answered: number;
  successes: number;
  durationS: number;
  failures: number;
  /** Every answer's latency, ms, as autocannon measured it. */
  latencies: number[];
}

/** One autocannon run from this process: GraphQL POSTs, or GETs to the sandbox. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  return summarise([await rawLoad(options)]);
}

function rawLoad(options: LoadOptions): Promise<RawLoad> {
  const { body } = options;
  const requests: AutocannonRequest[] = [
    body === undefined
      ? { method: 'GET' }
      : typeof body === 'string'
        ? { method: 'POST', body }
        : { method: 'POST', setupRequest: (request) => ({ ...request, body: body() }) },
  ];
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS,
        overallRate: options.overallRate,
        // Its correction for coordinated omission records made-up values below the measured ones
        // (latencies under the sandbox's fixed delay): keep what was measured, and report the rate
        // achieved, which shows when the server could not keep the pace.
        ignoreCoordinatedOmission: options.overallRate !== undefined,
        timeout: 30,
        headers: { 'content-type': 'application/json', ...options.headers },
        requests,
        verifyBody: options.verify,
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const answered = result.requests.total;
        resolve({
          answered,
          successes: Math.max(0, answered - result.mismatches - result.non2xx),
          durationS: result.duration,
          failures: result.errors + result.non2xx + result.mismatches,
          latencies,
        });
      },
    );
    // Kept one by one, so that runs taken in slices can be merged into exact percentiles.
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
    });
  });
}

function summarise(runs: RawLoad[]): LoadResult {
  const latencies = runs.flatMap((run) => run.latencies);
  const durationS = runs.reduce((sum, run) => sum + run.durationS, 0);
  const successes = runs.reduce((sum, run) => sum + run.successes, 0);
  return {
    requests: runs.reduce((sum, run) => sum + run.answered, 0),
    durationS,
    throughput: durationS > 0 ? successes / durationS : 0,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? latencies.reduce((a, b) => (a > b ? a : b)) : Number.NaN,
    failures: runs.reduce((sum, run) => sum + run.failures, 0),
  };
}

export interface InterleavedOptions {
  /** The gateway's load; its `durationS` is the total over all its slices. */
  gateway: LoadOptions;
  /** The same load shape against the bare Apollo baseline. */
  baseline: LoadOptions;
  /** Slices per side; the two sides take turns, in the order B G G B B G …, so that drift cancels. */
  slices: number;
  /** Meters the gateway's slices only. */
  meter?: CpuMeter;
}

export interface InterleavedResult {
  gateway: LoadResult;
  baseline: LoadResult;
  /** Gateway throughput over baseline throughput, whole windows. */
  ratio: number;
  /** The same ratio slice pair by slice pair: its spread shows how much the machine moved. */
  pairRatios: number[];
}

/**
 * The gateway and the baseline under the same load, in alternating slices, so that both see the
 * same machine: on two cores shared with other work, a rate means little alone, a ratio of rates
 * taken side by side much more.
 */
export async function runInterleaved(options: InterleavedOptions): Promise<InterleavedResult> {
  const slices = Math.max(1, Math.round(options.slices));
  const sliceS = (durationS: number) => Math.max(1, Math.round(durationS / slices));
  const gatewayRuns: RawLoad[] = [];
  const baselineRuns: RawLoad[] = [];
  const runGateway = async () => {
    options.meter?.resume();
    gatewayRuns.push(await rawLoad({ ...options.gateway, durationS: sliceS(options.gateway.durationS) }));
    options.meter?.pause();
  };
  const runBaseline = async () => {
    baselineRuns.push(await rawLoad({ ...options.baseline, durationS: sliceS(options.baseline.durationS) }));
  };
  for (let index = 0; index < slices; index += 1) {
    if (index % 2 === 0) {
      await runBaseline();
      await runGateway();
    } else {
      await runGateway();
      await runBaseline();
    }
  }
  const gateway = summarise(gatewayRuns);
  const baseline = summarise(baselineRuns);
  const rate = (run: RawLoad) => (run.durationS > 0 ? run.successes / run.durationS : 0);
  return {
    gateway,
    baseline,
    ratio: baseline.throughput > 0 ? gateway.throughput / baseline.throughput : Number.NaN,
    pairRatios: gatewayRuns.map((run, index) => rate(run) / Math.max(rate(baselineRuns[index]), 1e-9)),
  };
}

/** Slices per side for a measured window: about 5 s each, at least two. */
export function slicesFor(durationS: number): number {
  return Math.max(2, Math.round(durationS / 5));
}

/** Share of one core each party used over a window: who eats the two cores. */
export interface CpuShare {
  gateway: number;
  sandbox: number;
  postgres: number;
  /** This process: the load generator and the subscribers. */
  bench: number;
  /** Everything else on the machine: a busy neighbour makes every figure lower. */
  others: number;
}

type CpuReading = CpuShare & { at: bigint };

/**
 * Reads CPU time at the start of a window and again at its end; `pause` and `resume` leave out
 * the time between (the baseline's slices of an interleaved run).
 */
export class CpuMeter {
  private readonly total: CpuShare = { gateway: 0, sandbox: 0, postgres: 0, bench: 0, others: 0 };
  private seconds = 0;
  private last: CpuReading | null = null;

  constructor(
    private readonly gateway: NodeProcess | null,
    private readonly sandbox: NodeProcess,
    options: { paused?: boolean } = {},
  ) {
    if (!options.paused) this.resume();
  }

  resume(): void {
    this.last ??= this.read();
  }

  pause(): void {
    if (!this.last) return;
    const end = this.read();
    for (const key of Object.keys(this.total) as Array<keyof CpuShare>) this.total[key] += end[key] - this.last[key];
    this.seconds += Number(end.at - this.last.at) / 1e9;
    this.last = null;
  }

  stop(): CpuShare {
    this.pause();
    const share = (key: keyof CpuShare) => Math.max(0, this.total[key] / Math.max(this.seconds, 1e-9));
    const ours = share('gateway') + share('sandbox') + share('postgres') + share('bench');
    return {
      gateway: share('gateway'),
      sandbox: share('sandbox'),
      postgres: share('postgres'),
      bench: share('bench'),
      others: Math.max(0, share('others') - ours),
    };
  }

  private read(): CpuReading {
    const own = process.cpuUsage();
    return {
      at: process.hrtime.bigint(),
      gateway: this.gateway?.cpuSeconds() ?? 0,
      sandbox: this.sandbox.cpuSeconds(),
      postgres: postgresCpuSeconds(),
      bench: (own.user + own.system) / 1e6,
      // The whole machine for now; `stop` takes ours away.
      others: machineBusySeconds(),
    };
  }
}

export function formatCpu(share: CpuShare): string {
  const percent = (value: number) => `${Math.round(value * 100)}%`;
  return `gateway ${percent(share.gateway)}, PostgreSQL ${percent(share.postgres)}, sandbox ${percent(share.sandbox)}, load generator ${percent(share.bench)}, other processes ${percent(share.others)} (of one core; the machine has ${os.cpus().length * 100}%)`;
}
