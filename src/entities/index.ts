import { ApiKey } from './api-key.entity';
import { Payment } from './payment.entity';
import { PaymentConfig } from './payment-config.entity';
import { PaymentEvent } from './payment-event.entity';
import { PaymentLog } from './payment-log.entity';
import { ProviderOperation } from './provider-operation.entity';
import { Refund } from './refund.entity';

export { ApiKey, Payment, PaymentConfig, PaymentEvent, PaymentLog, Refund };
export const ENTITIES = [ProviderOperation, ApiKey, Payment, PaymentConfig, PaymentEvent, PaymentLog, Refund];
