import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, requestLogger, runInRequestScope } from '../../src/logger';

const DEVICE_TOKEN = 'e7d6c5b4-a392-4817-b6f5-e4d3c2b1a098';
const PHONE = '77015211545';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger('debug', { destination });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line)) };
}

describe('log lines', () => {
  it('censor secrets under known fields at any depth, whatever the code passes in', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        deviceToken: DEVICE_TOKEN,
        routing: { organizationBin: '210440028324', deviceToken: DEVICE_TOKEN },
        request: { headers: { Authorization: 'Bearer test-admin-key-0123456789abcdef' }, query: { access_token: 'proxy-token-0123456789' } },
        tls: { passphrase: 'correct horse battery staple' },
        apiKey: 'kgw_abcdefghijklmnop',
      },
      'calling Kaspi',
    );
    const line = lines[0];
    for (const secret of [DEVICE_TOKEN, 'test-admin-key-0123456789abcdef', 'proxy-token-0123456789', 'correct horse battery staple', 'kgw_abcdefghijklmnop']) {
      expect(line).not.toContain(secret);
    }
    expect(JSON.parse(line).routing).toEqual({ organizationBin: '210440028324', deviceToken: '[redacted]' });
  });

  it('mask phone numbers to their first and last digits in messages, fields, numbers and errors', () => {
    const { logger, lines, parsed } = capture();
    logger.info({ phone: '+7 701 521 15 45', note: `customer ${PHONE}`, amount: 87015211545 }, `invoice for 8 (701) 521-15-45 and ${PHONE}`);
    const failure = new Error(`Kaspi refused ${PHONE} on device ${DEVICE_TOKEN}`);
    logger.error(failure);
    logger.warn({ err: failure }, 'create failed');
    for (const line of lines) {
      expect(line).not.toMatch(/(?<![\d.])[78]\d{10}(?!\d)/);
      expect(line).not.toContain(DEVICE_TOKEN);
    }
    const [first, second, third] = parsed();
    expect(first).toMatchObject({ phone: '7*********5', note: 'customer 7*********5', amount: '8*********5', msg: 'invoice for 8*********5 and 7*********5' });
    expect(second).toMatchObject({ msg: 'Kaspi refused 7*********5 on device e7d6c5b4…', err: { type: 'Error', message: 'Kaspi refused 7*********5 on device e7d6c5b4…' } });
    expect(third.err.stack).toMatch(/^Error: Kaspi refused 7\*{9}5 on device e7d6c5b4…/);
  });

  it('keep our own ids whole, and carry the request id of the request being served', () => {
    const { logger, parsed } = capture();
    const paymentId = '0f1e2d3c-4b5a-4697-8877-665544332211';
    runInRequestScope('req-0123456789', () => logger.child({ component: 'payments' }).info({ paymentId }, 'payment created'));
    requestLogger(logger, 'req-abcdefghij').info('resolver line');
    logger.info('outside any request');
    const [inScope, bound, outside] = parsed();
    expect(inScope).toMatchObject({ requestId: 'req-0123456789', component: 'payments', paymentId });
    expect(bound).toMatchObject({ requestId: 'req-abcdefghij' });
    expect(outside.requestId).toBeUndefined();
  });
});
