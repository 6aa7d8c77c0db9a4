import { ApiKey } from './api-key.entity';
import { ApiKeyLog } from './api-key-log.entity';
import { Payment } from './payment.entity';
import { PaymentConfig } from './payment-config.entity';
import { PaymentEvent } from './payment-event.entity';
import { PaymentLog } from './payment-log.entity';
import { ProviderOperation } from './provider-operation.entity';
import { Refund } from './refund.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEndpointLog } from './webhook-endpoint-log.entity';
import { WebhookFanoutCursor } from './webhook-fanout-cursor.entity';

export { ApiKey, ApiKeyLog, Payment, PaymentConfig, PaymentEvent, PaymentLog, Refund, WebhookDelivery, WebhookEndpoint, WebhookEndpointLog, WebhookFanoutCursor };
export const ENTITIES = [ProviderOperation, ApiKey, ApiKeyLog, Payment, PaymentConfig, PaymentEvent, PaymentLog, Refund, WebhookEndpoint, WebhookDelivery, WebhookEndpointLog, WebhookFanoutCursor];
