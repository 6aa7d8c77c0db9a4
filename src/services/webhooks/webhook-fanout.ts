import type { EntityManager } from '@mikro-orm/postgresql';
import { WebhookEventType } from '../../domain/webhook-delivery';
import { Payment } from '../../entities/payment.entity';
import { WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { WebhookEndpoint } from '../../entities/webhook-endpoint.entity';
import { inTransaction } from '../context';
import type { OutboxRecord, PaymentEventsService } from '../payment-events.service';
import { paymentStatusChangedBody } from './webhook-body';
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

  /** One batch. @returns how many events it read, or null when another instance holds the cursor. */
  async runOnce(): Promise<{ events: number; deliveries: number } | null> {
    return inTransaction(this.em, async (tx) => {
      const [cursor] = await tx.execute<Array<{ position: string }>>(
        `select position from webhook_fanout_cursor where name = ? for update skip locked`,
        [CURSOR_NAME],
      );
      if (!cursor) {
        await this.createCursor(tx);
        return null;
      }
      const { records, position } = await this.outbox.readAfter(tx, cursor.position, FANOUT_BATCH);
      if (records.length === 0) return { events: 0, deliveries: 0 };
      const deliveries = await this.fanOut(tx, records);
      await tx.execute(`update webhook_fanout_cursor set position = ?, updated_at = now() where name = ?`, [position, CURSOR_NAME]);
      return { events: records.length, deliveries };
    });
  }

  /**
   * The first fan-out ever starts at the outbox's head: no endpoint existed before, so nothing
   * earlier is owed to anyone. Two instances starting at once both try; one row wins.
   */
  private async createCursor(tx: EntityManager): Promise<void> {
    const head = await this.outbox.headPosition(tx);
    await tx.execute(`insert into webhook_fanout_cursor (name, position) values (?, ?) on conflict (name) do nothing`, [CURSOR_NAME, head]);
  }

  private async fanOut(tx: EntityManager, records: OutboxRecord[]): Promise<number> {
    const endpoints = await tx.find(WebhookEndpoint, { isActive: true, deletedAt: null });
    if (endpoints.length === 0) return 0;
    const announcements = await this.announce(tx, records);
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
  private async announce(tx: EntityManager, records: OutboxRecord[]): Promise<Announcement[]> {
    const ids = [...new Set(records.map((record) => record.paymentId))];
    const payments = new Map((await tx.find(Payment, { id: { $in: ids } })).map((payment) => [payment.id, payment]));
    const now = new Date();
    return records.flatMap((record): Announcement[] => {
      const payment = payments.get(record.paymentId);
      if (!payment) return [];
      return [
        {
          eventId: record.eventId,
          eventType: WebhookEventType.PAYMENT_STATUS_CHANGED,
          shopId: payment.shopId,
          body: paymentStatusChangedBody({ payment, previousStatus: record.previousStatus, status: record.status, changedAt: record.changedAt }, now),
        },
      ];
    });
  }
}
