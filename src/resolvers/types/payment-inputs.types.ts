import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { UserErrorView } from './common.types';
import { PaymentView, RefundView } from './payment.types';
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
}
