import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import type { Baseline } from '../support/baseline.process';
import type { RunContext } from '../support/gateway.process';
import type { NodeProcess } from '../support/node-process';

export type ScenarioId = 'typename' | 'status' | 'create' | 'latency' | 'statements' | 'fanout' | 'reconciler';

export interface BenchSettings {
  warmupS: number;
  durationS: number;
  /** Connections for the throughput runs (typename, status, create). */
  connections: number;
  /** Applied to every gateway the run starts, after the scenario's own settings. */
  gatewayEnv: Record<string, string>;
  fanout: { subscriptions: number; payments: number; subscriptionsPerConnection: number };
  reconciler: { payments: number; intervalMs: number; observeS: number };
}

export interface BenchContext {
  run: RunContext;
  settings: BenchSettings;
  sandbox: NodeProcess;
  control: SandboxControlClient;
  /** The bare Apollo server, up for the whole run: each target is read as a ratio to it. */
  baseline: Baseline;
  log(message: string): void;
}

/** A measured run, or a shorter one under the CPU profiler whose only product is the profile. */
export interface ScenarioPass {
  profileDir?: string;
}

/** One line of the RESULTS.md table, already formatted. */
export interface ResultRow {
  label: string;
  load: string;
  throughput: string;
  p50: string;
  p99: string;
  peakRss: string;
  /** The baseline under the same load in the interleaved slices, and the gateway's ratio to it. */
  baseline?: string;
  ratio?: string;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
  /** By how much it was missed, when it was. */
  gap?: string;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  rows: ResultRow[];
  targets: TargetCheck[];
  /** Markdown bullet lines: settings, secondary figures, observations. */
  details: string[];
  /** Markdown lines put after the bullets as they are (a table). */
  tables?: string[];
  /** Set by a profiled pass. */
  cpuProfile?: string | null;
  /** The measured window on the monotonic clock (µs), which V8's profile timestamps share. */
  window?: MeasuredWindow;
  /** Numbers other scenarios read. */
  figures: Record<string, number>;
}

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** Whether a profile of the gateway can explain a miss (the baseline is not the gateway). */
  profiled: boolean;
  run(ctx: BenchContext, pass: ScenarioPass): Promise<ScenarioResult>;
}

export interface MeasuredWindow {
  startUs: number;
  endUs: number;
}

/** Microseconds on CLOCK_MONOTONIC, the clock of `process.hrtime` and of V8's profile timestamps. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export const formatMs = (ms: number): string =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
export const formatRate = (perSecond: number, unit = '/s'): string =>
  `${perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1)}${unit}`;
export const formatMb = (mb: number): string => `${Math.round(mb)} MB`;
export const formatRatio = (ratio: number): string => `${ratio >= 0.095 ? ratio.toFixed(2) : ratio.toFixed(3)}×`;
export const percentBelow = (measured: number, target: number): string =>
  `${Math.round((1 - measured / target) * 100)}% below (${formatRate(target - measured)} short)`;

/** Shorter runs for a profiled pass: enough samples, less time. */
export function passDurations(settings: BenchSettings, pass: ScenarioPass): { warmupS: number; durationS: number } {
  return pass.profileDir
    ? { warmupS: Math.min(settings.warmupS, 3), durationS: Math.min(settings.durationS, 12) }
    : { warmupS: settings.warmupS, durationS: settings.durationS };
}

/** Nearest-rank percentile of an unsorted list; NaN for an empty one. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
