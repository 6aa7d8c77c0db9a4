import type { EntityManager } from '@mikro-orm/postgresql';
import type { WebhookSettings } from '../../config';
import { WebhookDeliveryStatus, type AttemptResult, type DeliveryOutcome } from '../../domain/webhook-delivery';
import { WebhookEndpoint } from '../../entities/webhook-endpoint.entity';
import type { Logger } from '../../logger';
import type { AddressLookup, WebhookTargetPolicy } from '../../security/webhook-target';
import type { PaymentEventsService } from '../payment-events.service';
import type { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookFanout } from './webhook-fanout';
import { postWebhook } from './webhook-sender';
import { signedHeaders, signingSecrets } from './webhook-signing';
import { RepeatingPass } from '../repeating-pass';

/** Where attempts are counted and timed (the gateway's metrics). */
export interface WebhookAttemptObserver {
  observeWebhookAttempt(attempt: { outcome: DeliveryOutcome | 'superseded'; seconds: number }): void;
}

interface ClaimedAttempt {
  id: string;
  endpoint_id: string;
  attempts: number;
  webhook_id: string;
  body: string;
}

export interface DispatcherOptions {
  settings: WebhookSettings;
  policy: WebhookTargetPolicy;
  lookup?: AddressLookup;
}

/**
 * Sends the deliveries: each pass fans new outbox events out into deliveries, then claims what is
 * due and sends it. A claim is one statement (FOR UPDATE SKIP LOCKED, attempt counter raised, the
 * row's next attempt pushed past the attempt's timeout), so two instances never send the same
 * attempt, and a claim left by an instance that died lapses and is retried by another. Attempts run
 * outside any transaction, at most `concurrency` at once on this instance and at most
 * `concurrencyPerEndpoint` per endpoint, so that a slow receiver holds a few slots, not the process.
 */
export class WebhookDispatcher {
  private readonly fanout: WebhookFanout;
  private readonly inFlight = new Map<string, number>();
  private readonly attempts = new Set<Promise<void>>();
  /** Passes: at the poll, or sooner when events wait behind a gap in the outbox, or when woken. */
  private readonly passes = new RepeatingPass(
    () => this.runPass(),
    () => this.options.settings.pollMs,
    (error) => this.logger.error({ err: error }, 'webhook pass failed'),
  );
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly outbox: PaymentEventsService,
    private readonly deliveries: WebhookDeliveryService,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
    private observer: WebhookAttemptObserver | null = null,
  ) {
    this.fanout = new WebhookFanout(em, outbox, () => options.settings.retryScheduleMs.length);
  }

  observe(observer: WebhookAttemptObserver): void {
    this.observer = observer;
  }

  start(): void {
    this.listenToOutbox();
    this.passes.start(0);
  }

  /** Stops claiming and lets the attempts under way finish (each is bounded by the timeout). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.passes.stop();
    await Promise.all([...this.attempts]);
  }

  /** Runs a pass now (or right after the one under way). */
  wake(): void {
    this.passes.wake();
  }

  /** Any committed change here (or, through Redis, on another instance) is a reason to fan out now. */
  private listenToOutbox(): void {
    this.unsubscribe = this.outbox.onWake(() => this.wake());
  }

  /** @returns when the next pass is due. */
  private async runPass(): Promise<number> {
    const retryInMs = await this.fanOutAll();
    await this.claimAndSend();
    return Math.min(this.options.settings.pollMs, retryInMs ?? Infinity);
  }

  /** @returns for events held back behind a gap in the outbox, when to read it again (sooner than the poll). */
  private async fanOutAll(): Promise<number | null> {
    for (;;) {
      const batch = await this.fanout.runOnce();
      if (!batch) return null;
      if (!batch.more) return batch.retryInMs;
    }
  }

  /** @returns how many attempts it started. */
  private async claimAndSend(): Promise<number> {
    const { settings } = this.options;
    const inFlightTotal = [...this.inFlight.values()].reduce((sum, count) => sum + count, 0);
    const free = settings.concurrency - inFlightTotal;
    if (free <= 0) return 0;
    const claimed = await this.claim(free);
    if (claimed.length === 0) return 0;
    const endpoints = await this.em.fork().find(WebhookEndpoint, { id: { $in: [...new Set(claimed.map((row) => row.endpoint_id))] } });
    const byId = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint]));
    for (const row of claimed) {
      const endpoint = byId.get(row.endpoint_id);
      if (!endpoint) continue;
      this.inFlight.set(endpoint.id, (this.inFlight.get(endpoint.id) ?? 0) + 1);
      const attempt = this.attempt(endpoint, row).finally(() => {
        const left = (this.inFlight.get(endpoint.id) ?? 1) - 1;
        if (left > 0) this.inFlight.set(endpoint.id, left);
        else this.inFlight.delete(endpoint.id);
        this.attempts.delete(attempt);
        this.wake();
      });
      this.attempts.add(attempt);
    }
    return claimed.length;
  }

  private async claim(free: number): Promise<ClaimedAttempt[]> {
    const { settings } = this.options;
    // An attempt takes at most the timeout; past this, its claim lapses and another instance may try.
    const leaseMs = settings.timeoutMs * 2 + 5_000;
    const busy = JSON.stringify(Object.fromEntries(this.inFlight));
    return this.em.fork().execute<ClaimedAttempt[]>(
      `with busy as (
         select key::uuid as endpoint_id, value::int as in_flight from jsonb_each_text(?::jsonb)
       ), due as (
         select d.id, d.endpoint_id, d.next_attempt_at
           from webhook_delivery d
           join webhook_endpoint e on e.id = d.endpoint_id
          where d.status = ? and d.next_attempt_at <= now()
            and e.is_active and e.deleted_at is null
            and (e.throttled_until is null or e.throttled_until <= now())
            and d.endpoint_id not in (select endpoint_id from busy where in_flight >= ?)
          order by d.next_attempt_at
          limit ?
          for update of d skip locked
       ), ranked as (
         select due.id, row_number() over (partition by due.endpoint_id order by due.next_attempt_at) + coalesce(busy.in_flight, 0) as slot
           from due left join busy on busy.endpoint_id = due.endpoint_id
       )
       update webhook_delivery d
          set attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + (? * interval '1 millisecond')
         from ranked
        where d.id = ranked.id and ranked.slot <= ?
       returning d.id, d.endpoint_id, d.attempts, d.webhook_id, d.body`,
      [busy, WebhookDeliveryStatus.PENDING, settings.concurrencyPerEndpoint, free, leaseMs, settings.concurrencyPerEndpoint],
    );
  }

  private async attempt(endpoint: WebhookEndpoint, row: ClaimedAttempt): Promise<void> {
    let result: AttemptResult;
    try {
      const headers = signedHeaders(signingSecrets(endpoint), row.webhook_id, row.body);
      result = await postWebhook(
        { url: endpoint.url, headers, body: row.body },
        { timeoutMs: this.options.settings.timeoutMs, policy: this.options.policy, lookup: this.options.lookup },
      );
    } catch (error) {
      result = { kind: 'failed', error: 'the attempt could not be made', seconds: 0 };
      this.logger.error({ err: error, deliveryId: row.id }, 'webhook attempt failed before sending');
    }
    try {
      const outcome = await this.deliveries.recordAttempt(this.em, row.id, endpoint.id, row.attempts, result);
      this.observer?.observeWebhookAttempt({ outcome: outcome ?? 'superseded', seconds: result.seconds });
      this.logger.info(
        {
          deliveryId: row.id,
          endpointId: endpoint.id,
          attempt: row.attempts,
          outcome: outcome ?? 'superseded',
          status: result.kind === 'answered' ? result.status : null,
          error: result.kind === 'failed' ? result.error : undefined,
          durationMs: Math.round(result.seconds * 1000),
        },
        'webhook attempt',
      );
    } catch (error) {
      // The claim lapses and the attempt is made again: at least once, never lost.
      this.logger.error({ err: error, deliveryId: row.id }, 'could not record a webhook attempt');
    }
  }
}
