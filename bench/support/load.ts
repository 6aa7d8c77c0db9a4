import autocannon, { type AutocannonRequest } from 'autocannon';
import os from 'node:os';
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

/** One autocannon run from this process: GraphQL POSTs, or GETs to the sandbox. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { body } = options;
  const requests: AutocannonRequest[] = [
    body === undefined
      ? { method: 'GET' }
      : typeof body === 'string'
        ? { method: 'POST', body }
        : { method: 'POST', setupRequest: (request) => ({ ...request, body: body() }) },
  ];
  return new Promise((resolve, reject) => {
    autocannon(
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
        const failures = result.errors + result.non2xx + result.mismatches;
        const answered = result.requests.total;
        resolve({
          requests: answered,
          durationS: result.duration,
          throughput: Math.max(0, answered - result.mismatches - result.non2xx) / result.duration,
          p50Ms: result.latency.p50,
          p90Ms: result.latency.p90,
          p99Ms: result.latency.p99,
          maxMs: result.latency.max,
          failures,
        });
      },
    );
  });
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

/** Reads CPU time at the start of a window and again at its end. */
export class CpuMeter {
  private readonly startedAt = process.hrtime.bigint();
  private readonly start: CpuShare;

  constructor(
    private readonly gateway: NodeProcess | null,
    private readonly sandbox: NodeProcess,
  ) {
    this.start = this.read();
  }

  stop(): CpuShare {
    const end = this.read();
    const seconds = Number(process.hrtime.bigint() - this.startedAt) / 1e9;
    const share = (key: keyof CpuShare) => Math.max(0, (end[key] - this.start[key]) / seconds);
    const ours = share('gateway') + share('sandbox') + share('postgres') + share('bench');
    return {
      gateway: share('gateway'),
      sandbox: share('sandbox'),
      postgres: share('postgres'),
      bench: share('bench'),
      others: Math.max(0, share('others') - ours),
    };
  }

  private read(): CpuShare {
    const own = process.cpuUsage();
    return {
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
