import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261127030308_initial } from './Migration20261127030308_initial';
import { Migration20261127031836_device_token_encryption } from './Migration20261127031836_device_token_encryption';
import { Migration20261127040533_outbox_transaction_order } from './Migration20261127040533_outbox_transaction_order';
import { Migration20261128203940_webhooks } from './Migration20261128203940_webhooks';
import { Migration20261128210724_cloudpayments } from './Migration20261128210724_cloudpayments';
import { Migration20261128213630_outbox_sequence_and_refund_events } from './Migration20261128213630_outbox_sequence_and_refund_events';
import { Migration20261128214807_api_key_shops } from './Migration20261128214807_api_key_shops';
import { Migration20261128224711_payment_methods } from './Migration20261128224711_payment_methods';
import { Migration20261128234145_shop_scoped_idempotency } from './Migration20261128234145_shop_scoped_idempotency';

/** Every migration, in order. Listed here so that the same list runs from src, dist and tests. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261127030308_initial', class: Migration20261127030308_initial },
  { name: 'Migration20261127031836_device_token_encryption', class: Migration20261127031836_device_token_encryption },
  { name: 'Migration20261127040533_outbox_transaction_order', class: Migration20261127040533_outbox_transaction_order },
  { name: 'Migration20261128203940_webhooks', class: Migration20261128203940_webhooks },
  { name: 'Migration20261128210724_cloudpayments', class: Migration20261128210724_cloudpayments },
  { name: 'Migration20261128213630_outbox_sequence_and_refund_events', class: Migration20261128213630_outbox_sequence_and_refund_events },
  { name: 'Migration20261128214807_api_key_shops', class: Migration20261128214807_api_key_shops },
  { name: 'Migration20261128224711_payment_methods', class: Migration20261128224711_payment_methods },
  { name: 'Migration20261128234145_shop_scoped_idempotency', class: Migration20261128234145_shop_scoped_idempotency },
];
