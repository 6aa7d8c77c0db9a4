import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { UserErrorView } from './common.types';
import { PaymentView } from './payment.types';

export enum RefundResolution {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

registerEnumType(RefundResolution, { name: 'RefundResolution' });

@InputType({ description: 'Either externalId (the invoice was found at the provider) or markFailed: true (it does not exist).' })
export class ResolvePaymentInput {
  @Field(() => ID)
  paymentId!: string;

  @Field(() => String, { nullable: true, description: 'The provider\'s id of the invoice; polling takes over from there.' })
  externalId?: string | null;

  @Field(() => Boolean, { nullable: true })
  markFailed?: boolean | null;

  @Field(() => String, { description: 'Why: what was checked at the provider. Kept in the audit log.' })
  reason!: string;
}

@InputType()
export class ResolveRefundInput {
  @Field(() => ID)
  refundId!: string;

  @Field(() => RefundResolution)
  outcome!: RefundResolution;

  @Field(() => String, { description: 'Why: what was checked at the provider. Kept in the audit log.' })
  reason!: string;
}

@ObjectType()
export class ResolvePaymentPayload {
  @Field(() => PaymentView, { nullable: true })
  payment!: PaymentView | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];
}
