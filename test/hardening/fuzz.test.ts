import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_KASPI_PAYMENT, PAYMENT_STATUS } from '../support/documents';
import { ADMIN_KEY, recordExchange, SERVICE_KEY, VIEWER_KEY, type TestGateway } from '../support/gateway';
import { startSandboxedGateway } from '../support/sandbox';

const BATCH = 16;
const RUNS = 640;
const VALID_BINS = ['210440028324', '891027350515', '991011000048'];
const CONFIGURED_SHOPS = [1, 2, 3];

const PAYMENT = 'payment { id status amount refundedAmount phoneMasked }';
const ERRORS = 'errors { code field }';
const CONFIG = 'config { id shopId organizationBin deviceToken isActive provider description }';

interface Call {
  operation: string;
  query: string;
  variables: Record<string, unknown>;
  key: string | null;
}

interface Answer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

/** Values a caller may send where a string is expected: well-formed, nearly so, and anything at all. */
const anyString = (...wellFormed: fc.Arbitrary<string>[]) =>
  fc.oneof(
    ...wellFormed,
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', minLength: 250, maxLength: 300 }),
    fc.constantFrom('', ' ', '\u0000', '\ud800', 'a\udc00b', 'null', '"; drop table payment; --', '{"$ne":null}', '../../etc/passwd', '%s%n'),
  );
const anyInt = fc.oneof(
  fc.constantFrom(...CONFIGURED_SHOPS, 4, 5),
  fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }),
  fc.constantFrom(0, -1, 2_147_483_647),
);
/** What JSON can carry in place of a value: the wrong type, null, or nothing. */
const wrongType = fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.string({ maxLength: 8 }), fc.constant([1]), fc.constant({ nested: true }));
const maybe = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 3 });
const sometimesWrong = <T>(value: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: value }, { weight: 1, arbitrary: wrongType });

const phone = anyString(
  fc.constantFrom('77015211545', '+7 701 521 15 45', '87015211545', '+7 (701) 521-15-45'),
  fc.stringMatching(/^[78]\d{9,11}$/),
);
const amount = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }).map((tiyn) => tiyn / 100),
  fc.constantFrom(0, -1, 0.001, 1e-7, 10_000_001, 1e21, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const deviceToken = anyString(fc.uuid());
const bin = anyString(fc.constantFrom(...VALID_BINS), fc.stringMatching(/^\d{12}$/));
const idempotencyKey = maybe(anyString(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/)));
const key = fc.constantFrom<string | null>(ADMIN_KEY, ADMIN_KEY, SERVICE_KEY, VIEWER_KEY, null, 'kgw_not-a-key-0123456789');

/** A well-formed value spoilt at one place by a NUL byte or a lone surrogate. */
const spoilt = (wellFormed: fc.Arbitrary<string>) =>
  fc
    .tuple(wellFormed, fc.nat(), fc.constantFrom('\u0000', '\ud800', '\udfff', 'a\u0000\udc00'))
    .map(([value, at, odd]) => value.slice(0, at % (value.length + 1)) + odd + value.slice(at % (value.length + 1)));
/** Numbers JSON carries that no GraphQL Int holds. */
const hugeNumber = fc.oneof(
  fc.integer({ min: 2_147_483_648, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -2_147_483_649 }),
  fc.constantFrom(1e21, -1e21, Number.MAX_VALUE, 2 ** 53 + 2, 1.5),
);
/** Timestamps no DateTime holds, or further back than a replay reaches: every one of them is refused. */
const oddSince = fc.oneof(
  fc.constantFrom('+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', '0000-00-00T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-28T25:61:00Z', '', 'now'),
  fc.date({ min: new Date(-8.64e15), max: new Date('2020-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.integer({ min: 10_000, max: 999_999 }).map((year) => `+${year}-01-01T00:00:00Z`),
  spoilt(fc.constant(new Date().toISOString())),
  hugeNumber,
);
const WELL_FORMED_BIN = '891027350515';
const WELL_FORMED_TOKEN = '66cbf4e5-0193-45f3-8d97-362c98374466';
const CLOUDPAYMENTS = { publicId: 'pk_4b1d2c3e4f5a6b7c8d9e0f1a2b3c4', apiSecret: 'cp-secret-7f3e9a1c5b2d8e4f6a0b' };

function calls(processedIds: () => string[]): fc.Arbitrary<Call> {
  const externalId = anyString(fc.constantFrom(...processedIds()), fc.stringMatching(/^\d{1,15}$/));
  const call = (operation: string, query: string, variables: fc.Arbitrary<Record<string, unknown>>) =>
    fc.record({ operation: fc.constant(operation), query: fc.constant(query), variables, key });
  return fc.oneof(
    call(
      'createKaspiPayment',
      `mutation ($input: CreateKaspiPaymentInput!) { createKaspiPayment(input: $input) { ${PAYMENT} ${ERRORS} } }`,
      fc.record({
        input: sometimesWrong(
          fc.record(
            { shopId: sometimesWrong(anyInt), amount: sometimesWrong(amount), phone: sometimesWrong(phone), message: maybe(anyString()), idempotencyKey },
            { requiredKeys: ['shopId', 'amount', 'phone'] },
          ),
        ),
      }),
    ),
    call(
      'refund',
      `mutation ($input: RefundInput!) { refund(input: $input) { refund { id status amount } ${PAYMENT} ${ERRORS} } }`,
      fc.record({
        input: sometimesWrong(
          fc.record(
            { shopId: sometimesWrong(fc.oneof(fc.constant(1), anyInt)), externalId: sometimesWrong(externalId), amount: sometimesWrong(amount), idempotencyKey },
            { requiredKeys: ['shopId', 'externalId', 'amount'] },
          ),
        ),
      }),
    ),
    call('paymentStatus', `query ($id: String!) { paymentStatus(externalId: $id) { id status } }`, fc.record({ id: sometimesWrong(externalId) })),
    call('payment', `query ($id: ID!) { payment(id: $id) { id status refunds { id } } }`, fc.record({ id: sometimesWrong(anyString(fc.uuid())) })),
    call(
      'configs',
      `query ($shopId: Int, $isActive: Boolean) { configs(shopId: $shopId, isActive: $isActive) { id shopId deviceToken } }`,
      fc.record({ shopId: maybe(sometimesWrong(anyInt)), isActive: maybe(sometimesWrong(fc.boolean())) }, { requiredKeys: [] }),
    ),
    call(
      'logs',
      `query ($shopId: Int, $externalId: String, $limit: Int) { logs(shopId: $shopId, externalId: $externalId, limit: $limit) { id operationType requestId } }`,
      fc.record({ shopId: maybe(anyInt), externalId: maybe(externalId), limit: maybe(sometimesWrong(anyInt)) }, { requiredKeys: [] }),
    ),
    call(
      'createConfig',
      `mutation ($input: CreateConfigInput!) { createConfig(input: $input) { ${CONFIG} ${ERRORS} } }`,
      fc.record({
        input: sometimesWrong(
          fc.record(
            {
              shopId: sometimesWrong(anyInt),
              organizationBin: sometimesWrong(bin),
              deviceToken: maybe(deviceToken),
              isActive: maybe(fc.boolean()),
              provider: maybe(anyString(fc.constant('kaspi'))),
              description: maybe(anyString()),
            },
            { requiredKeys: ['shopId', 'organizationBin'] },
          ),
        ),
      }),
    ),
    call(
      'updateConfig',
      `mutation ($shopId: Int!, $input: UpdateConfigInput!) { updateConfig(shopId: $shopId, input: $input) { ${CONFIG} ${ERRORS} } }`,
      fc.record({
        shopId: sometimesWrong(anyInt),
        input: sometimesWrong(
          fc.record(
            {
              organizationBin: maybe(bin),
              deviceToken: maybe(fc.option(deviceToken, { nil: null })),
              isActive: maybe(fc.boolean()),
              provider: maybe(anyString(fc.constant('kaspi'))),
              description: maybe(fc.option(anyString(), { nil: null })),
            },
            { requiredKeys: [] },
          ),
        ),
      }),
    ),
    call(
      'deactivateConfig',
      `mutation ($shopId: Int!) { deactivateConfig(shopId: $shopId) { ${CONFIG} ${ERRORS} } }`,
      fc.record({ shopId: sometimesWrong(anyInt) }),
    ),
  );
}

/** The ids a call created, judged from its answer alone. */
function created(call: Call, answer: Answer): { payments: string[]; refunds: string[]; configs: string[]; configChanged: boolean } {
  const result = answer.body.data?.[call.operation];
  const ok = result && Array.isArray(result.errors) && result.errors.length === 0;
  return {
    payments: call.operation === 'createKaspiPayment' && result?.payment ? [result.payment.id] : [],
    refunds: call.operation === 'refund' && result?.refund ? [result.refund.id] : [],
    configs: call.operation === 'createConfig' && result?.config ? [result.config.id] : [],
    configChanged: ['createConfig', 'updateConfig', 'deactivateConfig'].includes(call.operation) && Boolean(ok && result.config),
  };
}

describe(`${BATCH * RUNS} generated calls to every query and mutation`, () => {
  let gw: TestGateway;
  const processed: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  const send = async (call: Call): Promise<Answer> => {
    const response = await fetch(gw.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(call.key ? { authorization: `Bearer ${call.key}` } : {}) },
      body: JSON.stringify({ query: call.query, variables: call.variables }),
    });
    const text = await response.text();
    let body: Answer['body'];
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${response.status} answered with something other than JSON: ${text.slice(0, 200)}`);
    }
    recordExchange({ query: call.query, variables: call.variables }, body);
    return { status: response.status, body };
  };

  const tables = async () => {
    const connection = gw.gateway.orm.em.getConnection();
    const [counts] = await connection.execute(
      `select (select count(*)::int from payment) as payments, (select count(*)::int from refund) as refunds, (select count(*)::int from payment_config) as configs`,
    );
    const configs = await connection.execute(
      `select id, shop_id, organization_bin, device_token, is_active, provider, description, updated_at from payment_config order by id`,
    );
    return { counts: counts as { payments: number; refunds: number; configs: number }, configs: JSON.stringify(configs) };
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    const shops = CONFIGURED_SHOPS.map((shopId) => ({ shopId, organizationBin: VALID_BINS[shopId - 1], deviceToken: `8e7d6c5b-4a39-4281-9f0e-d${shopId}c2b1a09f8e` }));
    const started = await startSandboxedGateway(shops, { RECONCILE_TICK_MS: '1000', POLL_FAST_INTERVAL_MS: '600000', POLL_SLOW_INTERVAL_MS: '600000' });
    gw = started.gw;
    for (let index = 0; index < 3; index += 1) {
      const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 1, amount: 1000, phone: '77015211545' } });
      const externalId = created.data.createKaspiPayment.payment.externalId as string;
      await started.sandbox.confirm(externalId);
      const status = await gw.gql(PAYMENT_STATUS, { externalId });
      expect(status.data.paymentStatus.status).toBe('PROCESSED');
      processed.push(externalId);
    }
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await gw?.stop();
  });

  it('never answers 500 or INTERNAL_SERVER_ERROR, never rejects unhandled, and writes nothing for a refused call', async () => {
    const seen = { payments: new Set<string>(), refunds: new Set<string>(), configs: new Set<string>() };
    let sent = 0;
    // Nothing but these calls creates rows or touches configurations, so one batch's "after" is the next one's "before".
    let settled: Awaited<ReturnType<typeof tables>> | null = null;
    await fc.assert(
      fc.asyncProperty(fc.array(calls(() => processed), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const before = settled ?? (await tables());
        settled = null;
        const answers = await Promise.all(batch.map(send));
        sent += batch.length;
        const after = await tables();

        const fresh = { payments: 0, refunds: 0, configs: 0 };
        let configChanged = false;
        batch.forEach((call, index) => {
          const answer = answers[index];
          const where = `${call.operation} ${JSON.stringify(call.variables).slice(0, 300)} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
          expect(answer.status, where).toBeLessThan(500);
          expect(answer.body.errors?.map((error) => error.extensions?.code) ?? [], where).not.toContain('INTERNAL_SERVER_ERROR');
          const writes = created(call, answer);
          for (const kind of ['payments', 'refunds', 'configs'] as const) {
            for (const id of writes[kind]) {
              if (!seen[kind].has(id)) fresh[kind] += 1;
              seen[kind].add(id);
            }
          }
          configChanged ||= writes.configChanged;
        });
        expect(after.counts.payments - before.counts.payments, 'payments written beyond those answered').toBe(fresh.payments);
        expect(after.counts.refunds - before.counts.refunds, 'refunds written beyond those answered').toBe(fresh.refunds);
        expect(after.counts.configs - before.counts.configs, 'configurations written beyond those answered').toBe(fresh.configs);
        if (!configChanged) expect(after.configs, 'a configuration changed by refused calls only').toBe(before.configs);
        expect(unhandled).toEqual([]);
        settled = after;
      }),
      { numRuns: RUNS },
    );
    expect(sent).toBeGreaterThanOrEqual(10_000);
  }, 180_000);

  it('answers odd paymentStatusChanged arguments over graphql-ws with BAD_INPUT naming the argument, never INTERNAL_SERVER_ERROR', async () => {
    const client = gw.subscribe();
    const query = 'subscription ($externalId: String, $shopId: Int, $since: DateTime) { paymentStatusChanged(externalId: $externalId, shopId: $shopId, since: $since) { id } }';
    /** Every case is refused, so it ends by itself: an error arrives, or errors and then the end. */
    const answerOf = (variables: Record<string, unknown>) =>
      new Promise<Array<{ message: string; extensions?: Record<string, unknown> }>>((resolve, reject) => {
        const errors: Array<{ message: string; extensions?: Record<string, unknown> }> = [];
        client.subscribe(
          { query, variables },
          {
            next: (value) => {
              recordExchange({ query, variables }, value);
              if (value.data) reject(new Error(`an event for ${JSON.stringify(variables)}`));
              errors.push(...((value.errors ?? []) as typeof errors));
            },
            error: (error) => {
              recordExchange({ query, variables }, error);
              if (Array.isArray(error)) resolve(error as typeof errors);
              else reject(new Error(`the socket failed for ${JSON.stringify(variables)}: ${String(error)}`));
            },
            complete: () => resolve(errors),
          },
        );
      });
    const odd = fc.oneof(
      fc.record({ argument: fc.constant('externalId'), value: fc.oneof(spoilt(fc.stringMatching(/^\d{1,12}$/)), fc.string({ minLength: 65, maxLength: 300 })) }),
      fc.record({ argument: fc.constant('shopId'), value: fc.oneof(hugeNumber, fc.constantFrom<unknown>('1', true, [1], { shopId: 1 })) }),
      fc.record({ argument: fc.constant('since'), value: oddSince }),
    );
    const wellFormed = { externalId: fc.stringMatching(/^\d{1,12}$/), shopId: fc.constantFrom(...CONFIGURED_SHOPS), since: fc.constant(new Date(Date.now() - 60_000).toISOString()) };
    const cases = odd.chain(({ argument, value }) =>
      fc.record({ externalId: maybe(wellFormed.externalId), shopId: maybe(wellFormed.shopId), since: maybe(wellFormed.since) }, { requiredKeys: [] }).map((others) => ({ argument, variables: { ...others, [argument]: value } })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(cases, { minLength: 8, maxLength: 8 }), async (batch) => {
        const answers = await Promise.all(batch.map(({ variables }) => answerOf(variables)));
        batch.forEach(({ argument, variables }, index) => {
          const where = `${JSON.stringify(variables).slice(0, 300)} -> ${JSON.stringify(answers[index]).slice(0, 300)}`;
          expect(answers[index].length, where).toBeGreaterThan(0);
          for (const error of answers[index]) {
            expect(error.extensions?.code, where).toBe('BAD_INPUT');
            expect(error.extensions?.field, where).toEqual([argument]);
          }
        });
      }),
      // Each failing case names itself in its message; shrinking batches of sockets would only cost minutes.
      { numRuns: 20, endOnFailure: true },
    );
    expect(unhandled).toEqual([]);
  }, 60_000);

  it('answers odd configuration inputs with BAD_INPUT naming the field, and changes no configuration', async () => {
    const CREATE_CONFIG = `mutation ($input: CreateConfigInput!) { createConfig(input: $input) { ${CONFIG} ${ERRORS} } }`;
    const UPDATE_CONFIG = `mutation ($shopId: Int!, $input: UpdateConfigInput!) { updateConfig(shopId: $shopId, input: $input) { ${CONFIG} ${ERRORS} } }`;
    const description = fc.string({ maxLength: 60 }).filter((text) => !/[\u0000\ud800-\udfff]/.test(text));
    /** One field spoilt, the rest well-formed: the answer must name that field and no other. */
    const oddField = fc.oneof(
      fc.record({ field: fc.constant(['organizationBin']), value: spoilt(fc.constant(WELL_FORMED_BIN)) }),
      fc.record({ field: fc.constant(['deviceToken']), value: spoilt(fc.constant(WELL_FORMED_TOKEN)) }),
      fc.record({ field: fc.constant(['description']), value: spoilt(description) }),
      fc.record({ field: fc.constant(['provider']), value: spoilt(fc.constantFrom('kaspi', 'cloudpayments')) }),
      fc.record({ field: fc.constant(['cloudPayments', 'publicId']), value: spoilt(fc.constant(CLOUDPAYMENTS.publicId)) }),
      fc.record({ field: fc.constant(['cloudPayments', 'apiSecret']), value: spoilt(fc.constant(CLOUDPAYMENTS.apiSecret)) }),
    );
    const inputWith = (field: readonly string[], value: unknown, base: Record<string, unknown>) => {
      if (field[0] !== 'cloudPayments') return { ...base, [field[0]]: value };
      const { deviceToken: _deviceToken, ...kaspiless } = base;
      return { ...kaspiless, provider: 'cloudpayments', cloudPayments: { ...CLOUDPAYMENTS, [field[1]]: value } };
    };
    const cases = fc.oneof(
      fc.record({ mutation: fc.constant('createConfig' as const), odd: oddField, shopId: fc.constantFrom(4, 5), description: maybe(description) }),
      fc.record({ mutation: fc.constant('updateConfig' as const), odd: oddField, shopId: fc.constantFrom(...CONFIGURED_SHOPS), description: maybe(description) }),
      fc.record({ mutation: fc.constantFrom('createConfig' as const, 'updateConfig' as const), odd: fc.record({ field: fc.constant(['shopId']), value: hugeNumber }), shopId: fc.constant(0), description: maybe(description) }),
    );
    const before = await tables();
    await fc.assert(
      fc.asyncProperty(fc.array(cases, { minLength: 8, maxLength: 8 }), async (batch) => {
        const answers = await Promise.all(
          batch.map(async ({ mutation, odd, shopId, description: text }) => {
            const base = { organizationBin: WELL_FORMED_BIN, deviceToken: WELL_FORMED_TOKEN, ...(text === undefined ? {} : { description: text }) };
            if (odd.field[0] === 'shopId') {
              const variables = mutation === 'createConfig' ? { input: { ...base, shopId: odd.value } } : { shopId: odd.value, input: base };
              return { mutation, odd, answer: await send({ operation: mutation, query: mutation === 'createConfig' ? CREATE_CONFIG : UPDATE_CONFIG, variables, key: ADMIN_KEY }) };
            }
            const input = inputWith(odd.field, odd.value, base);
            const call =
              mutation === 'createConfig'
                ? { operation: mutation, query: CREATE_CONFIG, variables: { input: { ...input, shopId } }, key: ADMIN_KEY }
                : { operation: mutation, query: UPDATE_CONFIG, variables: { shopId, input }, key: ADMIN_KEY };
            return { mutation, odd, answer: await send(call) };
          }),
        );
        for (const { mutation, odd, answer } of answers) {
          const where = `${mutation} ${odd.field.join('.')}=${JSON.stringify(odd.value)} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
          expect(answer.body.errors?.map((error) => error.extensions?.code) ?? [], where).not.toContain('INTERNAL_SERVER_ERROR');
          if (odd.field[0] === 'shopId') {
            // A number no Int holds never reaches a resolver: graphql-js refuses the variable, naming it.
            expect(answer.status, where).toBe(400);
            expect(answer.body.errors?.[0].extensions?.code, where).toBe('BAD_USER_INPUT');
            expect(answer.body.errors?.[0].message, where).toMatch(/\$shopId|"input\.shopId"/);
            continue;
          }
          const result = answer.body.data?.[mutation];
          expect(result?.config, where).toBeNull();
          expect(result?.errors.length, where).toBeGreaterThan(0);
          expect(new Set(result?.errors.map((error: { code: string; field: string[] }) => `${error.code} ${error.field.join('.')}`)), where).toEqual(
            new Set([`BAD_INPUT ${['input', ...odd.field].join('.')}`]),
          );
        }
      }),
      { numRuns: 15, endOnFailure: true },
    );
    const after = await tables();
    expect(after.configs).toBe(before.configs);
    expect(after.counts.configs).toBe(before.counts.configs);
  }, 60_000);
});
