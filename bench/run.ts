import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SandboxControlClient } from '../src/sandbox/sandbox-control.client';
import { withClient } from '../test/support/database';
import { freePort } from '../test/support/ports';
import { createPaymentScenario } from './scenarios/create-payment.scenario';
import { fanOutScenario } from './scenarios/fan-out.scenario';
import { ownLatencyScenario } from './scenarios/own-latency.scenario';
import { paymentStatusScenario } from './scenarios/payment-status.scenario';
import { reconcilerScenario } from './scenarios/reconciler.scenario';
import type { BenchContext, BenchSettings, Scenario, ScenarioId } from './scenarios/scenario';
import { statementsScenario } from './scenarios/statements.scenario';
import { typenameScenario } from './scenarios/typename.scenario';
import { BASELINE_DESCRIPTION, startBaseline } from './support/baseline.process';
import { DEFAULT_SERVER_URL } from './support/bench-database';
import { summariseProfile } from './support/cpu-profile';
import { gatewayCommand, type RunContext } from './support/gateway.process';
import { machineFacts } from './support/machine';
import { NodeProcess, REPO_ROOT } from './support/node-process';
import { readKeptNotes, renderReport, type ProfiledScenario } from './support/results.report';

/** Each throughput and latency scenario measures the baseline itself, in slices between its own. */
const SCENARIOS: Scenario[] = [
  typenameScenario,
  paymentStatusScenario,
  createPaymentScenario,
  ownLatencyScenario,
  statementsScenario,
  fanOutScenario,
  reconcilerScenario,
];

const HELP = `npm run bench [-- options]

Builds the gateway (npm run build), starts the Kaspi sandbox and the bare Apollo baseline, then
for each scenario a gateway (own process, own PostgreSQL database) measured in slices that
alternate with the baseline's under the same load; profiles the scenarios that miss a target,
and writes bench/RESULTS.md.

  --only <ids>             comma-separated: ${SCENARIOS.map((scenario) => scenario.id).join(', ')}
                           writes bench/.tmp/RESULTS.<ids>.md
  --profile <when>         auto (scenarios that miss a target; default), all, none
  --quick                  short smoke run: 5 s windows, 2,000 subscribers, 20,000 reconciler payments
  --source                 run the gateways from TypeScript (node -r @swc-node/register src/index.ts,
                           as npm start) instead of the production build (dist/src/index.js, as
                           npm run start:prod; the default)
  --compiled               the default; kept for older command lines
  --skip-build             use the dist/ already built (while iterating on the bench itself)
  --duration <s>           measured window per load run (default 20)
  --warmup <s>             warm-up per load run (default 5)
  --connections <n>        connections for the throughput runs (default 16)
  --subscriptions <n>      fan-out subscribers (default 10000)
  --fanout-payments <n>    payments they watch (default 1000)
  --per-connection <n>     subscriptions per WebSocket connection (default 1)
  --reconciler-payments <n>   non-final payments (default 100000)
  --reconciler-interval <ms>  their polling interval (default 180000, Kaspi's)
  --reconciler-observe <s>    observation window (default 150)
  --env KEY=VALUE          extra gateway environment, repeatable (e.g. DATABASE_POOL_MAX=20)
  --database-url <url>     PostgreSQL server (default $BENCH_DATABASE_URL or ${DEFAULT_SERVER_URL})
  --out <file>             where to write the results
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      profile: { type: 'string', default: 'auto' },
      quick: { type: 'boolean', default: false },
      compiled: { type: 'boolean', default: false },
      source: { type: 'boolean', default: false },
      'skip-build': { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      subscriptions: { type: 'string' },
      'fanout-payments': { type: 'string' },
      'per-connection': { type: 'string' },
      'reconciler-payments': { type: 'string' },
      'reconciler-interval': { type: 'string' },
      'reconciler-observe': { type: 'string' },
      env: { type: 'string', multiple: true },
      'database-url': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const profileMode = values.profile as 'auto' | 'all' | 'none';
  if (!['auto', 'all', 'none'].includes(profileMode)) throw new Error('--profile must be auto, all or none');

  const quick = values.quick;
  const number = (raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`not a positive number: ${raw}`);
    return value;
  };
  const settings: BenchSettings = {
    warmupS: number(values.warmup, quick ? 2 : 5),
    durationS: number(values.duration, quick ? 5 : 20),
    connections: number(values.connections, 16),
    gatewayEnv: Object.fromEntries(
      (values.env ?? []).map((entry) => {
        const at = entry.indexOf('=');
        if (at < 1) throw new Error(`--env wants KEY=VALUE, got ${entry}`);
        return [entry.slice(0, at), entry.slice(at + 1)];
      }),
    ),
    fanout: {
      subscriptions: number(values.subscriptions, quick ? 2_000 : 10_000),
      payments: number(values['fanout-payments'], quick ? 200 : 1_000),
      subscriptionsPerConnection: number(values['per-connection'], 1),
    },
    reconciler: {
      payments: number(values['reconciler-payments'], quick ? 20_000 : 100_000),
      intervalMs: number(values['reconciler-interval'], 180_000),
      observeS: number(values['reconciler-observe'], quick ? 30 : 150),
    },
  };

  const only = values.only ? new Set(values.only.split(',').map((id) => id.trim()) as ScenarioId[]) : null;
  if (only) {
    for (const id of only) {
      if (!SCENARIOS.some((scenario) => scenario.id === id)) throw new Error(`unknown scenario ${id}; try --help`);
    }
  }
  const selected = SCENARIOS.filter((scenario) => !only || only.has(scenario.id));

  const startedAt = Date.now();
  const runId = new Date().toISOString().replace(/[-:T]/g, '').slice(2, 14);
  const tmpDir = path.join(REPO_ROOT, 'bench', '.tmp', runId);
  fs.mkdirSync(tmpDir, { recursive: true });
  const serverUrl = values['database-url'] ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_SERVER_URL;
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const out =
    values.out ??
    (only ? path.join('bench', '.tmp', `RESULTS.${[...only].join('-')}.md`) : path.join('bench', 'RESULTS.md'));
  const log = (message: string) => process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

  const machine = await machineFacts(serverUrl);
  log(`machine: ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}, load ${machine.loadAverage.toFixed(2)}`);
  if (machine.loadAverage > 0.5) log('warning: the machine is already busy; figures will be low and noisy');

  const build = values.source ? 'source' : 'compiled';
  if (build === 'compiled' && !values['skip-build']) {
    log('building the gateway (npm run build)');
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }

  const sandboxPort = await freePort();
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const sandbox = await NodeProcess.start({
    name: 'sandbox',
    entry: 'src/sandbox/main.ts',
    // Its CloudPayments side listens too: on a port of its own, not the fixed default another run may hold.
    env: { SANDBOX_PORT: String(sandboxPort), SANDBOX_CLOUDPAYMENTS_PORT: String(await freePort()), SANDBOX_AUTO_ADVANCE_MS: '0' },
    logFile: path.join(tmpDir, 'sandbox.log'),
    readyUrl: `${sandboxUrl}/_control/config`,
  });
  const run: RunContext = { runId, tmpDir, serverUrl, sandboxUrl, gateway: build };
  const baseline = await startBaseline(tmpDir);
  const ctx: BenchContext = {
    run,
    settings,
    sandbox,
    control: new SandboxControlClient(sandboxUrl, { timeoutMs: 120_000 }),
    baseline,
    log,
  };

  const stopEverything = async () => {
    await baseline.stop();
    await sandbox.stop();
    await dropRunDatabases(serverUrl, runId);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    void NodeProcess.stopAll()
      .then(stopEverything)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const failures: Array<{ id: string; error: string }> = [];
  const measured: ProfiledScenario[] = [];
  try {
    for (const scenario of selected) {
      log(`— ${scenario.title}`);
      try {
        const result = await scenario.run(ctx, {});
        measured.push({ result, profile: null });
        for (const target of result.targets) log(`  ${target.met ? 'met' : 'MISSED'}: ${target.target} — ${target.measured}${target.gap ? ` (${target.gap})` : ''}`);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`  failed: ${message}`);
        failures.push({ id: scenario.id, error: message });
      }
    }

    for (const entry of measured) {
      const scenario = SCENARIOS.find((candidate) => candidate.id === entry.result.id)!;
      const missed = entry.result.targets.some((target) => !target.met);
      if (!scenario.profiled || profileMode === 'none' || (profileMode === 'auto' && !missed)) continue;
      log(`— profiling: ${scenario.title}`);
      const profileDir = path.join(tmpDir, `profile-${scenario.id}`);
      try {
        const pass = await scenario.run(ctx, { profileDir });
        if (!pass.cpuProfile) throw new Error('the gateway wrote no profile');
        entry.profile = summariseProfile(pass.cpuProfile, pass.window);
        log(`  profile: ${path.relative(REPO_ROOT, pass.cpuProfile)}`);
      } catch (error) {
        entry.profileNote = `The profiled pass failed: ${error instanceof Error ? error.message : String(error)}`;
        log(`  ${entry.profileNote}`);
      }
    }
  } finally {
    await stopEverything();
  }

  const report = renderReport(
    {
      command,
      machine,
      gatewayCommand: gatewayCommand(run.gateway),
      baseline: `${BASELINE_DESCRIPTION}; one process (\`bench/baseline/baseline.server.ts\`) for the whole run`,
      kaspi: `the sandbox (\`src/sandbox/main.ts\`) in its own process, reached in proxy mode: \`KASPI_MODE=proxy\`, \`PRODUCTION_API_URL=http://127.0.0.1:<port>/proxy\`, as production reaches the merchant proxy; no auto-advance`,
      scenarios: measured,
      failures,
      totalSeconds: (Date.now() - startedAt) / 1000,
    },
    readKeptNotes(path.resolve(REPO_ROOT, out)),
  );
  fs.mkdirSync(path.dirname(path.resolve(REPO_ROOT, out)), { recursive: true });
  fs.writeFileSync(path.resolve(REPO_ROOT, out), report);
  log(`wrote ${out}`);
  if (failures.length > 0) process.exitCode = 1;
}

/** Databases a crashed scenario may have left behind. */
async function dropRunDatabases(serverUrl: string, runId: string): Promise<void> {
  await withClient(serverUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [`bench\\_${runId}\\_%`]);
    for (const row of rows) await client.query(`drop database if exists "${row.datname}" with (force)`);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
