import { Field, ID, Int, ObjectType } from 'type-graphql';
import { tiynToTenge } from '../../domain/money';
import { refundableAmount } from '../../domain/refund-status';
import type { Payment } from '../../entities/payment.entity';
import type { Refund } from '../../entities/refund.entity';
import { PaymentMethod, PaymentStatus, RefundStatus } from './enums';
import { TengeScalar } from './scalars';

@ObjectType('Refund')
export class RefundView {
  @Field(() => ID)
  id!: string;

  @Field(() => TengeScalar)
  amount!: number;

  @Field(() => RefundStatus)
  status!: RefundStatus;

  @Field(() => String, { nullable: true, description: 'The provider\'s id of the refund operation (Kaspi ReturnOperationId).' })
  returnOperationId!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  static from(refund: Refund): RefundView {
    return Object.assign(new RefundView(), {
      id: refund.id,
      amount: tiynToTenge(refund.amount),
      status: refund.status,
      returnOperationId: refund.returnOperationId,
      createdAt: refund.createdAt,
    });
  }
}

@ObjectType('Payment')
export class PaymentView {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'The provider\'s payment id (Kaspi QrPaymentId); null until the provider has answered.' })
  externalId!: string | null;

  @Field(() => Int)
  shopId!: number;

  @Field(() => String)
  organizationBin!: string;

  @Field(() => String)
  provider!: string;

  @Field(() => TengeScalar)
  amount!: number;

  @Field(() => TengeScalar)
  refundedAmount!: number;

  @Field(() => TengeScalar, { description: 'What can still be refunded: the amount less refunds made, pending or of unknown outcome.' })
  refundableAmount!: number;

  @Field(() => PaymentStatus)
  status!: PaymentStatus;

  @Field(() => String, { nullable: true, description: 'The provider\'s own status word, e.g. "Wait" or "Processed".' })
  providerStatus!: string | null;

  @Field(() => PaymentMethod)
  method!: PaymentMethod;

  @Field(() => String, { nullable: true, description: 'Where the customer pays: Kaspi\'s payment link or the CloudPayments invoice page; null for methods without one.' })
  paymentUrl!: string | null;

  @Field(() => String, { nullable: true, description: 'The text to draw as a QR code (KASPI_QR); null for other methods. qrSvg is the same code drawn.' })
  qrToken!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the provider stops accepting this payment (its QR or link expires); null when the provider says nothing.' })
  expiresAt!: Date | null;

  @Field(() => String, { description: 'The customer\'s phone, masked: only its first and last digits; empty for a payment made without one.' })
  phoneMasked!: string;

  @Field(() => String, { nullable: true })
  message!: string | null;

  @Field(() => [RefundView])
  refunds!: RefundView[];

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  static from(payment: Payment): PaymentView {
    const refunds = payment.refunds.isInitialized() ? payment.refunds.getItems() : [];
    return Object.assign(new PaymentView(), {
      id: payment.id,
      externalId: payment.externalId,
      shopId: payment.shopId,
      organizationBin: payment.organizationBin,
      provider: payment.provider,
      amount: tiynToTenge(payment.amount),
      refundedAmount: tiynToTenge(payment.refundedAmount),
      refundableAmount: tiynToTenge(refundableAmount(payment, refunds)),
      status: payment.status,
      providerStatus: payment.providerStatus,
      method: payment.method,
      paymentUrl: payment.paymentUrl,
      qrToken: payment.qrToken,
      expiresAt: payment.expiresAt,
      phoneMasked: payment.phoneMasked,
      message: payment.message,
      refunds: refunds.map((refund) => RefundView.from(refund)),
      createdAt: payment.createdAt,
      updatedAt: payment.updatedAt,
    });
  }
}

@ObjectType('PaymentStatusChange')
export class PaymentStatusChangeView {
  @Field(() => ID, { description: 'The change\'s own id, increasing from one change of a payment to the next: a client that replays with `since` drops the ids it already has.' })
  id!: string;

  @Field(() => PaymentView)
  payment!: PaymentView;

  @Field(() => PaymentStatus, { nullable: true })
  previousStatus!: PaymentStatus | null;

  @Field(() => PaymentStatus)
  status!: PaymentStatus;

  @Field(() => Date)
  changedAt!: Date;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'True on the last change of a `since` replay that stopped early (too many changes, or the read budget spent): the subscription then ends with a REPLAY_CUT_SHORT error. Subscribe again with `since` set to this `changedAt` for the rest. Null otherwise.',
  })
  replayCutShort!: boolean | null;
}
