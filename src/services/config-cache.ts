import type { EntityManager } from '@mikro-orm/postgresql';
import { PaymentConfig } from '../entities/payment-config.entity';

const TTL_MS = 1_000;

/**
 * Shop configurations as payments read them, kept for a second: every payment needs its shop's
 * routing, and it changes rarely. A change made here is seen at once; one made by another instance
 * within {@link TTL_MS}.
 */
export class ConfigCache {
  private readonly entries = new Map<number, { config: PaymentConfig | null; expires: number }>();

  async get(em: EntityManager, shopId: number): Promise<PaymentConfig | null> {
    const cached = this.entries.get(shopId);
    if (cached && cached.expires > Date.now()) return cached.config;
    const config = await em.fork().findOne(PaymentConfig, { shopId });
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(shopId, { config, expires: Date.now() + TTL_MS });
    return config;
  }

  invalidate(shopId: number): void {
    this.entries.delete(shopId);
  }
}
