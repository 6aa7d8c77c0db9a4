import './types/enums';
import { ApiKeyResolver } from './api-key.resolver';
import { ConfigResolver } from './config.resolver';
import { LogResolver } from './log.resolver';
import { PaymentResolver } from './payment.resolver';
import { PaymentDeliveriesResolver } from './payment-deliveries.resolver';
import { PaymentSearchResolver } from './payment-search.resolver';
import { RefundResolver } from './refund.resolver';
import { ResolutionResolver } from './resolution.resolver';
import { SubscriptionResolver } from './subscription.resolver';
import { WebhookResolver } from './webhook.resolver';

export const RESOLVERS = [
  PaymentResolver,
  RefundResolver,
  ResolutionResolver,
  ConfigResolver,
  LogResolver,
  SubscriptionResolver,
  WebhookResolver,
  PaymentSearchResolver,
  PaymentDeliveriesResolver,
  ApiKeyResolver,
] as const;
