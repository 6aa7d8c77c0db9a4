import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';

/**
 * Tells the other gateway instances that new status changes were committed, so that they read the
 * outbox at once instead of at their next poll. It carries no event itself: the outbox table stays
 * the only source of events, so a lost notification delays a delivery, never loses one.
 */
export interface OutboxNotifier {
  notify(): void;
  onNotify(listener: () => void): void;
  close(): Promise<void>;
}

const CHANNEL = 'kaspi-gateway:outbox';
const COALESCE_MS = 5;

export class RedisOutboxNotifier implements OutboxNotifier {
  private readonly instanceId = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly listeners: Array<() => void> = [];
  private pending: NodeJS.Timeout | null = null;

  constructor(url: string, private readonly logger: Logger) {
    const options = { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error) => this.logger.warn({ err: error }, 'redis outbox notifier'));
    }
    void this.subscriber.subscribe(CHANNEL).catch((error) => this.logger.warn({ err: error }, 'redis subscribe failed'));
    this.subscriber.on('message', (_channel, sender) => {
      if (sender === this.instanceId) return;
      for (const listener of this.listeners) listener();
    });
  }

  notify(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.publisher.publish(CHANNEL, this.instanceId).catch(() => undefined);
    }, COALESCE_MS);
    this.pending.unref();
  }

  onNotify(listener: () => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.pending) clearTimeout(this.pending);
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
