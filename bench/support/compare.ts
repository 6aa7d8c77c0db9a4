import type { NodeProcess } from './node-process';
import { CpuMeter, runInterleaved, runLoad, slicesFor, type CpuShare, type LoadOptions, type LoadResult } from './load';
import {
  formatMs,
  formatRate,
  formatRatio,
  monotonicUs,
  type BenchContext,
  type MeasuredWindow,
  type ScenarioPass,
  type TargetCheck,
} from '../scenarios/scenario';

export interface Comparison {
  gateway: LoadResult;
  /** Null in a profiled pass, which runs the gateway alone. */
  baseline: LoadResult | null;
  ratio: number;
  pairRatios: number[];
  cpu: CpuShare;
  window: MeasuredWindow;
}

/**
 * The gateway's load against the baseline's with the same shape (connections, pace), in
 * alternating slices; in a profiled pass the gateway alone, in one window the profile is cut to.
 */
export async function measureAgainstBaseline(
  ctx: BenchContext,
  pass: ScenarioPass,
  gatewayProcess: NodeProcess,
  gatewayLoad: LoadOptions,
): Promise<Comparison> {
  const meter = new CpuMeter(gatewayProcess, ctx.sandbox, { paused: true });
  const startUs = monotonicUs();
  if (pass.profileDir) {
    meter.resume();
    const gateway = await runLoad(gatewayLoad);
    return { gateway, baseline: null, ratio: Number.NaN, pairRatios: [], cpu: meter.stop(), window: { startUs, endUs: monotonicUs() } };
  }
  const { connections, durationS, overallRate } = gatewayLoad;
  const result = await runInterleaved({
    gateway: gatewayLoad,
    baseline: ctx.baseline.load({ connections, durationS, overallRate }),
    slices: slicesFor(durationS),
    meter,
  });
  return { ...result, cpu: meter.stop(), window: { startUs, endUs: monotonicUs() } };
}

/** The baseline's own warm-up for a load shape, before its first measured slice. */
export async function warmBaseline(ctx: BenchContext, shape: Pick<LoadOptions, 'connections' | 'overallRate'>, seconds: number): Promise<void> {
  await runLoad(ctx.baseline.load({ ...shape, durationS: seconds }));
}

/** The two cells a result row adds: the baseline's figures in the same slices, and the ratio. */
export function baselineCells(comparison: Comparison): { baseline?: string; ratio?: string } {
  if (!comparison.baseline) return {};
  return {
    baseline: `${formatRate(comparison.baseline.throughput)}, p50 ${formatMs(comparison.baseline.p50Ms)}, p99 ${formatMs(comparison.baseline.p99Ms)}`,
    ratio: `**${formatRatio(comparison.ratio)}**${spread(comparison.pairRatios)}`,
  };
}

function spread(ratios: number[]): string {
  if (ratios.length < 2) return '';
  return ` (slices ${formatRatio(Math.min(...ratios))}–${formatRatio(Math.max(...ratios))})`;
}

/** A throughput target read as a share of the baseline's rate in the same run. */
export function ratioTarget(comparison: Comparison, atLeast: number): TargetCheck {
  const target = `throughput ≥ ${formatRatio(atLeast)} the baseline's`;
  if (!comparison.baseline) return { target, measured: 'not measured (profiled pass)', met: false };
  const met = comparison.ratio >= atLeast;
  return {
    target,
    measured: `${formatRatio(comparison.ratio)}: ${formatRate(comparison.gateway.throughput)} vs ${formatRate(comparison.baseline.throughput)}`,
    met,
    gap: met ? undefined : `${Math.round((1 - comparison.ratio / atLeast) * 100)}% below (${formatRate(atLeast * comparison.baseline.throughput - comparison.gateway.throughput)} short at this baseline)`,
  };
}

/** A line for the details: both sides' figures, slice by slice spread included. */
export function comparisonDetail(comparison: Comparison): string {
  const { gateway, baseline } = comparison;
  if (!baseline) return `Gateway alone: ${formatRate(gateway.throughput)}, p50 ${formatMs(gateway.p50Ms)}, p99 ${formatMs(gateway.p99Ms)}.`;
  const cpuMs = (comparison.cpu.gateway * 1000) / Math.max(gateway.throughput, 1e-9);
  return `Gateway CPU per request: ${cpuMs.toFixed(2)} ms (its busy share over its answers; steadier than the rate on a shared machine). Interleaved with the baseline in ${comparison.pairRatios.length} slice pairs (order B G G B …): gateway ${formatRate(gateway.throughput)}, p50 ${formatMs(gateway.p50Ms)}, p90 ${formatMs(gateway.p90Ms)}, p99 ${formatMs(gateway.p99Ms)}, max ${formatMs(gateway.maxMs)}; baseline ${formatRate(baseline.throughput)}, p50 ${formatMs(baseline.p50Ms)}, p90 ${formatMs(baseline.p90Ms)}, p99 ${formatMs(baseline.p99Ms)}, max ${formatMs(baseline.maxMs)}; ratio per pair ${comparison.pairRatios.map(formatRatio).join(', ')}. Failures: gateway ${gateway.failures}, baseline ${baseline.failures}.`;
}
