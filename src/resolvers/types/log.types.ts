import { Field, ID, ObjectType } from 'type-graphql';
import { tiynToTenge } from '../../domain/money';
import type { PaymentLog } from '../../entities/payment-log.entity';
import { LogOperation } from './enums';
import { TengeScalar } from './scalars';
import { ShopRecordView } from './common.types';

@ObjectType('PaymentLog')
export class PaymentLogView extends ShopRecordView {
  @Field(() => LogOperation)
  operationType!: LogOperation;

  @Field(() => String, { nullable: true })
  externalId!: string | null;

  @Field(() => TengeScalar, { nullable: true })
  amount!: number | null;

  @Field(() => String, { nullable: true })
  status!: string | null;

  @Field(() => String, { nullable: true })
  errorCode!: string | null;

  @Field(() => String, { nullable: true })
  errorMessage!: string | null;

  @Field(() => String)
  provider!: string;

  @Field(() => ID, { nullable: true })
  paymentId!: string | null;

  @Field(() => ID, { nullable: true })
  refundId!: string | null;

  @Field(() => String, { nullable: true, description: 'Who did it: the API key\'s label, or "reconciler".' })
  actor!: string | null;

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why, where a person gave a reason: a refund or a resolution.' })
  reason!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  static from(row: PaymentLog): PaymentLogView {
    return Object.assign(new PaymentLogView(), {
      id: String(row.id),
      shopId: row.shopId,
      organizationBin: row.organizationBin,
      operationType: row.operationType,
      externalId: row.externalId,
      amount: row.amount == null ? null : tiynToTenge(row.amount),
      status: row.status,
      errorCode: row.errorCode,
      errorMessage: row.errorMessage,
      provider: row.provider,
      paymentId: row.paymentId,
      refundId: row.refundId,
      actor: row.actor,
      requestId: row.requestId,
      reason: typeof row.details?.reason === 'string' ? row.details.reason : null,
      createdAt: row.createdAt,
    });
  }
}
