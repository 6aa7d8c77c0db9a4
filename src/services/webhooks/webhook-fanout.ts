import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WebhookEventType } from '../../domain/webhook-delivery';
import { OutboxEventKind, type OutboxEvent } from '../../domain/outbox-event';
import { Payment } from '../../entities/payment.entity';
import { Refund } from '../../entities/refund.entity';
import { WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { WebhookEndpoint } from '../../entities/webhook-endpoint.entity';
import { inTransaction } from '../use-case-context';
import { decodePosition, encodePosition } from '../outbox-reader';
import type { PaymentEventsService } from '../payment-events.service';
import { paymentStatusChangedBody, refundStatusChangedBody } from './webhook-body';
import { newWebhookId } from './webhook-signing';

const CURSOR_NAME = 'deliveries';
export const FANOUT_BATCH = 500;

/** An event as endpoints subscribe to it: its type, its shop and the body every endpoint gets. */
interface Announcement {
  eventId: string;
  eventType: WebhookEventType;
  shopId: number;
  body: string;
}

/**
 * Turns outbox events into deliveries: one row per (event, endpoint that wants it), written in the
 * same transaction that moves the fan-out's cursor, which is kept in the database. So an event
 * committed before a crash gets its deliveries after the restart, and none gets them twice. The
 * cursor row is locked for the batch: with several instances, one fans out at a time and the
 * others skip the turn.
 */
export class WebhookFanout {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: PaymentEventsService,
    private readonly scheduleLength: () => number,
  ) {}

  /**
   * One batch. @returns how many events it read and whether to read again at once (`more`) or
   * soon (`retryInMs`, events held behind a gap), or null when another instance holds the cursor.
   */
  async runOnce(): Promise<{ events: number; deliveries: number; more: boolean; retryInMs: number | null } | null> {
    return inTransaction(this.em, async (tx) => {
      const [cursor] = await tx.execute<Array<{ position: string }>>(
        `select position from webhook_fanout_cursor where name = ? for update skip locked`,
        [CURSOR_NAME],
      );
      if (!cursor) {
        await this.createCursor(tx);
        return null;
      }
      const batch = await this.outbox.reader.read(tx, decodePosition(cursor.position), { limit: FANOUT_BATCH });
      const deliveries = batch.events.length > 0 ? await this.fanOut(tx, batch.events) : 0;
      // The position moves even without events, as gaps are passed or given up.
      const position = encodePosition(batch.position);
      if (position !== cursor.position) {
        await tx.execute(`update webhook_fanout_cursor set position = ?, updated_at = now() where name = ?`, [position, CURSOR_NAME]);
      }
      return { events: batch.events.length, deliveries, more: batch.more, retryInMs: batch.retryInMs };
    });
  }

  /**
   * The first fan-out ever starts at the outbox's head: no endpoint existed before, so nothing
   * earlier is owed to anyone. Two instances starting at once both try; one row wins.
   */
  private async createCursor(tx: EntityManager): Promise<void> {
    const head = encodePosition(await this.outbox.reader.head(tx));
    await tx.execute(`insert into webhook_fanout_cursor (name, position) values (?, ?) on conflict (name) do nothing`, [CURSOR_NAME, head]);
  }

  private async fanOut(tx: EntityManager, events: OutboxEvent[]): Promise<number> {
    // Shared locks: an endpoint being turned off meanwhile waits for these deliveries and fails them
    // with the rest, or, turned off first, is not fanned out to at all. Never a PENDING delivery
    // left behind on an endpoint that is off.
    const endpoints = await tx.find(WebhookEndpoint, { isActive: true, deletedAt: null }, { lockMode: LockMode.PESSIMISTIC_READ });
    if (endpoints.length === 0) return 0;
    const announcements = await this.announce(tx, events);
    let created = 0;
    for (const announcement of announcements) {
      for (const endpoint of endpoints) {
        if (!endpoint.events.includes(announcement.eventType)) continue;
        if (endpoint.shopIds && !endpoint.shopIds.includes(announcement.shopId)) continue;
        tx.persist(
          tx.create(WebhookDelivery, {
            endpoint,
            eventId: announcement.eventId,
            webhookId: newWebhookId(),
            eventType: announcement.eventType,
            shopId: announcement.shopId,
            body: announcement.body,
            maxAttempts: this.scheduleLength(),
            nextAttemptAt: new Date(),
          } as WebhookDelivery),
        );
        created += 1;
      }
    }
    await tx.flush();
    return created;
  }

  /** What each event says, read once for all endpoints. */
  private async announce(tx: EntityManager, events: OutboxEvent[]): Promise<Announcement[]> {
    const paymentIds = [...new Set(events.map((event) => event.paymentId))];
    const refundIds = [...new Set(events.flatMap((event) => (event.kind === OutboxEventKind.REFUND_STATUS_CHANGED ? [event.refundId] : [])))];
    const payments = new Map((await tx.find(Payment, { id: { $in: paymentIds } })).map((payment) => [payment.id, payment]));
    const refunds = new Map(
      (refundIds.length > 0 ? await tx.find(Refund, { id: { $in: refundIds } }) : []).map((refund) => [refund.id, refund]),
    );
    const now = new Date();
    return events.flatMap((event): Announcement[] => {
      const payment = payments.get(event.paymentId);
      if (!payment) return [];
      if (event.kind === OutboxEventKind.REFUND_STATUS_CHANGED) {
        const refund = refunds.get(event.refundId);
        if (!refund) return [];
        return [
          {
            eventId: event.seq,
            eventType: WebhookEventType.REFUND_STATUS_CHANGED,
            shopId: payment.shopId,
            body: refundStatusChangedBody({ refund, payment, previousStatus: event.previousStatus, status: event.status, changedAt: event.changedAt }, now),
          },
        ];
      }
      return [
        {
          eventId: event.seq,
          eventType: WebhookEventType.PAYMENT_STATUS_CHANGED,
          shopId: payment.shopId,
          body: paymentStatusChangedBody({ payment, previousStatus: event.previousStatus, status: event.status, changedAt: event.changedAt }, now),
        },
      ];
    });
  }
}
