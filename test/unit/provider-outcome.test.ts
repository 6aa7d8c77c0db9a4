import { describe, expect, it } from 'vitest';
import { outcomeError } from '../../src/services/provider-outcome';

describe('what a client is told about a refused or failed provider call', () => {
  it('never calls a stored outcome retryable, since the same idempotency key replays it', () => {
    const outcomes = [
      { kind: 'rejected', providerCode: '-99000006', retryable: true, detail: 'refund failed; may be retried' },
      { kind: 'rejected', providerCode: '-1501', retryable: false, detail: 'device not found' },
      { kind: 'unavailable', providerCode: '-999', detail: 'temporarily unavailable' },
      { kind: 'unknown', detail: 'no answer' },
    ] as const;
    for (const outcome of outcomes) {
      for (const what of ['payment', 'refund'] as const) expect(outcomeError(outcome, what).retryable).toBe(false);
    }
  });

  it('tells the client to send it again under a new idempotency key where the provider did nothing or invited a retry', () => {
    expect(outcomeError({ kind: 'unavailable', providerCode: '-999', detail: '' }, 'payment').message).toMatch(/nothing was done.*new idempotency key/);
    expect(outcomeError({ kind: 'rejected', providerCode: '-99000006', retryable: true, detail: '' }, 'refund').message).toMatch(/new idempotency key/);
    expect(outcomeError({ kind: 'rejected', providerCode: '-1501', retryable: false, detail: '' }, 'payment').message).not.toMatch(/again/);
    expect(outcomeError({ kind: 'unknown', detail: '' }, 'payment').message).toMatch(/do not send it again under a new idempotency key/);
  });
});
