import type { EntityManager } from '@mikro-orm/postgresql';
import { merchantAccountOf } from '../entities/payment-config.entity';
import type { Payment } from '../entities/payment.entity';
import type { PaymentProvider, RoutingSnapshot } from '../providers/provider';
import type { ConfigCache } from './config-cache';

/**
 * The routing a provider call about this payment goes out with: the BIN and device the payment was
 * made with (Kaspi refuses a refund from another device), and, for a provider that authenticates
 * each merchant, the shop's account as configured now (a rotated API secret must take effect for
 * payments made before).
 */
export async function routingFor(
  em: EntityManager,
  configs: ConfigCache,
  provider: PaymentProvider,
  payment: Pick<Payment, 'shopId' | 'organizationBin' | 'deviceToken'>,
): Promise<RoutingSnapshot> {
  const routing: RoutingSnapshot = { organizationBin: payment.organizationBin, deviceToken: payment.deviceToken };
  if (provider.requiresMerchantAccount) routing.account = merchantAccountOf(await configs.get(em, payment.shopId));
  return routing;
}
