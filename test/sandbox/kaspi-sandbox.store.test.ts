import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_OPTIONS } from '../../src/sandbox/kaspi-sandbox';
import { KaspiSandboxStore } from '../../src/sandbox/kaspi-sandbox.store';

const BIN = '123456789012';

describe('sandbox store', () => {
  // How fast the store is belongs to the benchmarks; this checks it stays right at that size.
  it('answers status, refund and listing correctly with 100,000 payments in memory', () => {
    const store = new KaspiSandboxStore(() => ({ ...DEFAULT_SANDBOX_OPTIONS, autoAdvanceMs: 1000 }));
    const deviceToken = randomUUID();
    const createdAt = Date.now();
    let lastId = '';

    for (let index = 0; index < 100_000; index += 1) {
      const created = store.createRemotePayment(
        { mode: 'direct', organizationBin: BIN, deviceToken, amount: 10_000, phone: '77015211545', comment: null },
        createdAt,
      );
      if (!created.ok) throw new Error(created.outcome.message);
      lastId = created.value.qrPaymentId;
    }
    const status = store.status(lastId, createdAt + 2000);
    const refund = store.refund({ organizationBin: BIN, deviceToken, qrPaymentId: lastId, amount: 5_000 }, createdAt + 2000);
    const views = store.listPayments().map((payment) => store.view(payment, createdAt + 2000));

    expect(status.ok && status.value.status).toBe('Processed');
    expect(refund.ok).toBe(true);
    expect(views).toHaveLength(100_000);
    expect(views.at(-1)).toMatchObject({ qrPaymentId: lastId, refundedAmount: 50 });
  });

  it('computes Wait after half of autoAdvanceMs and Processed after all of it, without timers', () => {
    const store = new KaspiSandboxStore(() => ({ ...DEFAULT_SANDBOX_OPTIONS, autoAdvanceMs: 1000 }));
    const created = store.createRemotePayment(
      { mode: 'proxy', organizationBin: BIN, deviceToken: randomUUID(), amount: 100, phone: '77015211545', comment: null },
      0,
    );
    if (!created.ok) throw new Error(created.outcome.message);

    const at = (now: number) => store.statusOf(created.value, now).status;

    expect([at(0), at(499), at(500), at(999), at(1000)]).toEqual([
      'RemotePaymentCreated',
      'RemotePaymentCreated',
      'Wait',
      'Wait',
      'Processed',
    ]);
  });
});
