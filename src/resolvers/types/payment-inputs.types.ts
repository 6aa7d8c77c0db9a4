import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { PaymentMethod } from './enums';
import { UserErrorView } from './common.types';
import { PaymentView, RefundView } from './payment.types';
import type { RefundResult } from '../../services/refund.service';
import { TengeScalar } from './scalars';

@InputType()
export class CreateKaspiPaymentInput {
  @Field(() => Int)
  shopId!: number;

  @Field(() => TengeScalar)
  amount!: number;

  @Field(() => String, { description: 'The customer\'s Kaspi phone number; 7XXXXXXXXXX, +7 XXX XXX XX XX and 8XXXXXXXXXX are accepted.' })
  phone!: string;

  @Field(() => String, { nullable: true })
  message?: string | null;

  @Field(() => String, { nullable: true, description: 'The same key with the same input returns the first result and never sends a second invoice.' })
  idempotencyKey?: string | null;
}

@ObjectType()
export class CreateKaspiPaymentPayload {
  @Field(() => PaymentView, { nullable: true })
  payment!: PaymentView | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];
}

@InputType({ description: 'A payment by any method of the shop\'s provider; createKaspiPayment is this with method KASPI_REMOTE.' })
export class CreatePaymentInput {
  @Field(() => Int)
  shopId!: number;

  @Field(() => TengeScalar)
  amount!: number;

  @Field(() => PaymentMethod, {
    nullable: true,
    description: 'Default: KASPI_REMOTE when the shop\'s provider is Kaspi and a phone is given, KASPI_LINK when it is Kaspi without a phone, CLOUDPAYMENTS_LINK for CloudPayments.',
  })
  method?: PaymentMethod | null;

  @Field(() => String, { nullable: true, description: 'The customer\'s phone: required by KASPI_REMOTE; CLOUDPAYMENTS_LINK sends the link there by SMS when given.' })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'CLOUDPAYMENTS_LINK sends the link there when given.' })
  email?: string | null;

  @Field(() => String, { nullable: true })
  message?: string | null;

  @Field(() => String, { nullable: true, description: 'The same key with the same input returns the first result and never creates a second invoice.' })
  idempotencyKey?: string | null;
}

@ObjectType()
export class CreatePaymentPayload {
  @Field(() => PaymentView, { nullable: true })
  payment!: PaymentView | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];
}

@InputType()
export class RefundInput {
  @Field(() => Int)
  shopId!: number;

  @Field(() => String)
  externalId!: string;

  @Field(() => TengeScalar)
  amount!: number;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Why the money goes back, e.g. "goods returned"; kept in the audit log.' })
  reason?: string | null;
}

@ObjectType()
export class RefundPayload {
  @Field(() => RefundView, { nullable: true })
  refund!: RefundView | null;

  @Field(() => PaymentView, { nullable: true })
  payment!: PaymentView | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];

  static from(result: RefundResult): RefundPayload {
    return Object.assign(new RefundPayload(), {
      refund: result.refund && RefundView.from(result.refund),
      payment: result.payment && PaymentView.from(result.payment),
      errors: result.errors.map(UserErrorView.from),
    });
  }
}
