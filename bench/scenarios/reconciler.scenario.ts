import type { Pool } from 'pg';
import { seedWaitingPayments } from '../support/bench-database';
import { sealForGateway, startBenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { PHONE, SHOP } from '../support/graphql.client';
import { CpuMeter, formatCpu, type CpuShare } from '../support/load';
import { sleep } from '../support/node-process';
import { describeGateway } from './create-payment.scenario';
import { formatMb, formatMs, formatRate, monotonicUs, percentile, type MeasuredWindow, type Scenario, type TargetCheck } from './scenario';

const SAMPLE_EVERY_MS = 5_000;
const SEED_CHUNK = 50_000;
/** Seeded rows fall due from this long after seeding, so that seeding itself is not measured. */
const FIRST_DUE_MS = 5_000;
/** Older than Kaspi's fast window: every payment is on the slow cadence. */
const PAYMENT_AGE_MS = 15 * 60_000;
const PROFILED_OBSERVE_S = 45;

interface Sample {
  at: number;
  /** Highest payment_log id: in this scenario every row is a status check. */
  logId: number;
  overdue: number;
  oldestOverdueMs: number;
}

/**
 * Scenario 6: the reconciler holding many non-final payments on Kaspi's cadence. Every payment is
 * older than the fast window, so each is due every `intervalMs` (3 minutes, as for Kaspi); due
 * times are spread evenly over one interval, as they are in a steady state. The question is
 * whether the checks per second keep up, and how overdue `next_poll_at` gets.
 */
export const reconcilerScenario: Scenario = {
  id: 'reconciler',
  title: 'Reconciler holding 100,000 non-final payments on the 3-minute cadence',
  profiled: true,

  async run(ctx, pass) {
    const { payments, intervalMs } = ctx.settings.reconciler;
    const observeS = pass.profileDir ? Math.min(PROFILED_OBSERVE_S, ctx.settings.reconciler.observeS) : ctx.settings.reconciler.observeS;
    const required = payments / (intervalMs / 1000);
    await ctx.control.reset();
    await ctx.control.configure({ latencyMs: 0, callLogLimit: 1_000 });
    const gateway = await startBenchGateway(ctx.run, {
      name: pass.profileDir ? 'reconciler_profiled' : 'reconciler',
      env: {
        POLL_FAST_INTERVAL_MS: '15000',
        POLL_FAST_WINDOW_MS: String(10 * 60_000),
        POLL_SLOW_INTERVAL_MS: String(intervalMs),
        POLL_MIN_INTERVAL_MS: '5000',
        ...ctx.settings.gatewayEnv,
      },
      cpuProfileDir: pass.profileDir,
    });

    const samples: Sample[] = [];
    let cpu: CpuShare;
    let teardown: GatewayTeardown;
    let seedSeconds: number;
    let window: MeasuredWindow;
    try {
      ctx.log(`reconciler: seeding ${payments.toLocaleString('en-US')} WAITING payments in the sandbox and the database`);
      const seedStarted = Date.now();
      for (let start = 0; start < payments; start += SEED_CHUNK) {
        const externalIds = await ctx.control.seedPayments({
          count: Math.min(SEED_CHUNK, payments - start),
          organizationBin: SHOP.organizationBin,
          deviceToken: SHOP.deviceToken,
          amount: 1500,
          phone: PHONE,
          ageMs: PAYMENT_AGE_MS,
        });
        await seedWaitingPayments(gateway.database.sql, {
          externalIds,
          shopId: SHOP.shopId,
          organizationBin: SHOP.organizationBin,
          storedDeviceToken: sealForGateway(SHOP.deviceToken),
          amountTenge: 1500,
          phone: PHONE,
          callerId: 'bench-seed',
          ageMs: PAYMENT_AGE_MS,
          // Not due until all are in; spread over the interval below, in one go.
          dueFromMs: 24 * 60 * 60_000,
          dueSpreadMs: 0,
        });
      }
      await gateway.database.sql.query(
        `update payment set next_poll_at = now() + ($1 * interval '1 millisecond') + random() * ($2 * interval '1 millisecond')
          where next_poll_at is not null`,
        [FIRST_DUE_MS, intervalMs],
      );
      await gateway.database.sql.query('analyze payment');
      seedSeconds = (Date.now() - seedStarted) / 1000;
      await sleep(FIRST_DUE_MS);

      ctx.log(`reconciler: observing for ${observeS} s (needs ${formatRate(required, ' checks/s')})`);
      const meter = new CpuMeter(gateway.process, ctx.sandbox);
      const startUs = monotonicUs();
      const end = Date.now() + observeS * 1000;
      samples.push(await sample(gateway.database.sql));
      while (Date.now() < end) {
        await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, end - Date.now())));
        samples.push(await sample(gateway.database.sql));
      }
      cpu = meter.stop();
      window = { startUs, endUs: monotonicUs() };
    } finally {
      teardown = await gateway.stop();
    }

    const first = samples[0];
    const last = samples[samples.length - 1];
    const checksPerSecond = (last.logId - first.logId) / ((last.at - first.at) / 1000);
    const lags = samples.map((entry) => entry.oldestOverdueMs);
    const lagP50 = percentile(lags, 50);
    const lagP99 = percentile(lags, 99);
    const lagMax = Math.max(...lags);
    // Falling behind shows as a backlog that keeps growing, and with it the lag; a reconciler that
    // keeps up ends the window with no more overdue than a few seconds of checks clear.
    const met = last.overdue <= required * 5 && lagMax <= intervalMs * 0.1;
    const targets: TargetCheck[] = [
      {
        target: `not falling behind at ${payments.toLocaleString('en-US')} (needs ${formatRate(required, ' checks/s')}; met when the backlog at the end is ≤ 5 s of checks and the lag stays ≤ ${formatMs(intervalMs * 0.1)})`,
        measured: `${formatRate(checksPerSecond, ' checks/s')}, backlog ${last.overdue.toLocaleString('en-US')} at the end, oldest overdue up to ${formatMs(lagMax)}`,
        met,
        gap: met
          ? undefined
          : checksPerSecond < required
            ? `${Math.round((1 - checksPerSecond / required) * 100)}% short of the rate needed (${formatRate(checksPerSecond, ' checks/s')} of ${formatRate(required, ' checks/s')}); the backlog grows by ~${formatRate(required - checksPerSecond, '/s')}`
            : 'the backlog or the lag went over the bound',
      },
    ];

    return {
      id: 'reconciler',
      title: this.title,
      rows: [
        {
          label: `6. Reconciler, ${payments.toLocaleString('en-US')} non-final payments`,
          load: `every payment due every ${intervalMs / 1000} s; ${observeS} s observed`,
          throughput: formatRate(checksPerSecond, ' checks/s'),
          p50: `lag ${formatMs(lagP50)}`,
          p99: `lag ${formatMs(lagP99)}`,
          peakRss: formatMb(teardown.memory.peakRssMb),
        },
      ],
      targets,
      details: [
        `Gateway: ${describeGateway(gateway.settings)}; POLL_SLOW_INTERVAL_MS=${intervalMs} (Kaspi's cadence for payments older than 10 minutes: not shortened), POLL_MIN_INTERVAL_MS=5000.`,
        `Seeding ${payments.toLocaleString('en-US')} rows (sandbox bulk endpoint + one INSERT … SELECT per ${SEED_CHUNK.toLocaleString('en-US')}) took ${seedSeconds.toFixed(1)} s; their first polls fall due evenly over one interval, starting ${FIRST_DUE_MS / 1000} s after seeding.`,
        `Needed: ${formatRate(required, ' checks/s')}; done: ${formatRate(checksPerSecond, ' checks/s')} (payment_log STATUS rows over the window).`,
        `Lag = age of the oldest overdue \`next_poll_at\`, sampled every ${SAMPLE_EVERY_MS / 1000} s (p50/p99/max of ${samples.length} samples: ${formatMs(lagP50)} / ${formatMs(lagP99)} / ${formatMs(lagMax)}). Overdue payments at the start / end / most: ${first.overdue.toLocaleString('en-US')} / ${last.overdue.toLocaleString('en-US')} / ${Math.max(...samples.map((entry) => entry.overdue)).toLocaleString('en-US')}.`,
        `Backlog over time (s: overdue): ${samples.map((entry) => `${Math.round((entry.at - first.at) / 1000)}: ${entry.overdue}`).join(', ')}.`,
        `CPU: ${formatCpu(cpu)}; ${checksPerSecond > 0 ? ((cpu.gateway * 1000) / checksPerSecond).toFixed(2) : '∞'} ms of gateway CPU per check.`,
      ],
      cpuProfile: teardown.cpuProfile,
      window,
      figures: { checksPerSecond, required },
    };
  },
};

async function sample(sql: Pool): Promise<Sample> {
  const { rows } = await sql.query<{ log_id: string | null; overdue: string; oldest_ms: string | null }>(
    `select (select max(id) from payment_log) as log_id,
            count(*) as overdue,
            extract(epoch from now() - min(next_poll_at)) * 1000 as oldest_ms
       from payment
      where next_poll_at is not null and next_poll_at <= now()`,
  );
  const row = rows[0];
  return {
    at: Date.now(),
    logId: Number(row.log_id ?? 0),
    overdue: Number(row.overdue),
    oldestOverdueMs: Math.max(0, Number(row.oldest_ms ?? 0)),
  };
}
