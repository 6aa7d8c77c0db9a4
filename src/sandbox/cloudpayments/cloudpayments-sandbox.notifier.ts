import { createHmac } from 'node:crypto';
import type { SandboxNotificationView } from './cloudpayments-sandbox.types';

export interface NotificationTarget {
  url: string | null;
  send: boolean;
  format: 'form' | 'json';
  apiSecret: string;
}

/**
 * Sends notifications as CloudPayments does: one POST per event to `{url}/{type}`, form-urlencoded
 * (or JSON), signed with `Content-HMAC` over the raw body and `X-Content-HMAC` over the decoded one.
 * Every attempt is kept, dropped ones too, so that a test can resend exactly what was sent.
 */
type RecordedNotification = SandboxNotificationView & { body: string; contentType: string; apiSecret: string };

export class SandboxNotifier {
  private log: RecordedNotification[] = [];
  private nextSeq = 1;

  async notify(type: string, fields: Record<string, string | number | boolean | null>, target: NotificationTarget): Promise<SandboxNotificationView> {
    const { body, contentType } = encode(fields, target.format);
    const url = target.url ? `${target.url.replace(/\/+$/, '')}/${type}` : null;
    const entry = {
      seq: this.nextSeq++,
      at: new Date().toISOString(),
      type,
      invoiceId: typeof fields.InvoiceId === 'string' ? fields.InvoiceId : null,
      url,
      outcome: 'dropped' as SandboxNotificationView['outcome'],
      httpStatus: null as number | null,
      answer: null as unknown,
      body,
      contentType,
      apiSecret: target.apiSecret,
    };
    this.log.push(entry);
    if (target.send && url) await this.deliver(entry);
    return view(entry);
  }

  /** Sends a recorded notification again, byte for byte, as CloudPayments' retries do. */
  async resend(seq: number): Promise<SandboxNotificationView | null> {
    const entry = this.log.find((candidate) => candidate.seq === seq);
    if (!entry?.url) return null;
    await this.deliver(entry);
    return view(entry);
  }

  list(): SandboxNotificationView[] {
    return this.log.map(view);
  }

  clear(): void {
    this.log = [];
  }

  private async deliver(entry: RecordedNotification): Promise<void> {
    const decoded = entry.contentType.startsWith('application/x-www-form-urlencoded')
      ? decodeURIComponent(entry.body.replace(/\+/g, ' '))
      : entry.body;
    try {
      const response = await fetch(entry.url!, {
        method: 'POST',
        headers: {
          'Content-Type': entry.contentType,
          'Content-HMAC': sign(entry.body, entry.apiSecret),
          'X-Content-HMAC': sign(decoded, entry.apiSecret),
        },
        body: entry.body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      entry.outcome = 'sent';
      entry.httpStatus = response.status;
      try {
        entry.answer = JSON.parse(text);
      } catch {
        entry.answer = text.slice(0, 200);
      }
    } catch {
      entry.outcome = 'failed';
    }
  }
}

function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

function encode(fields: Record<string, string | number | boolean | null>, format: 'form' | 'json'): { body: string; contentType: string } {
  if (format === 'json') return { body: JSON.stringify(fields), contentType: 'application/json' };
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) form.set(name, value === null ? '' : String(value));
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded; charset=utf-8' };
}

function view({ body: _body, contentType: _type, apiSecret: _secret, ...rest }: RecordedNotification): SandboxNotificationView {
  return { ...rest };
}
