import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { PaymentMethod, PaymentStatus } from './enums';
import { PaymentView } from './payment.types';
import { WebhookEndpointView } from './webhook.types';

@InputType({ description: 'Every field narrows the search; none means every payment.' })
export class PaymentSearchInput {
  @Field(() => PaymentStatus, { nullable: true })
  status?: PaymentStatus | null;

  @Field(() => Int, { nullable: true })
  shopId?: number | null;

  @Field(() => PaymentMethod, { nullable: true, description: 'How the customer pays.' })
  method?: PaymentMethod | null;

  @Field(() => Date, { nullable: true, description: 'Created at or after this moment.' })
  createdFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Created before this moment.' })
  createdTo?: Date | null;

  @Field(() => String, {
    nullable: true,
    description: "Any id of the payment: the gateway's id, the provider's id, the idempotency key or request id it was created with, or one of its refunds' ids.",
  })
  search?: string | null;
}

@ObjectType({ description: 'One page of payments, newest first.' })
export class PaymentPage {
  @Field(() => [PaymentView])
  items!: PaymentView[];

  @Field(() => Int, { description: 'How many payments match in all.' })
  totalCount!: number;
}

@ObjectType({ description: 'What waits for a human.' })
export class NeedsAttention {
  @Field(() => [PaymentView], { description: 'Payments whose create call broke off: resolveUnknownPayment settles them.' })
  unknownPayments!: PaymentView[];

  @Field(() => [PaymentView], { description: 'Payments with a refund of unknown outcome: resolveUnknownRefund settles it.' })
  unknownRefunds!: PaymentView[];

  @Field(() => [WebhookEndpointView], { description: 'Webhook endpoints the gateway turned off by itself (disabledReason says why).' })
  disabledWebhookEndpoints!: WebhookEndpointView[];

  @Field(() => Int, { description: 'How many things wait: UNKNOWN payments, UNKNOWN refunds and endpoints turned off by the gateway.' })
  count!: number;
}

@ObjectType({ description: 'The API key making the call.' })
export class Caller {
  @Field(() => String)
  label!: string;

  @Field(() => String, { description: '"admin", "service" or "viewer".' })
  role!: string;

  @Field(() => [Int], { nullable: true, description: 'The only shops this key sees and acts on; null for every shop.' })
  shopIds!: number[] | null;
}
