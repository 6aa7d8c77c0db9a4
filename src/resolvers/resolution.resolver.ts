import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { useCase, type GraphQLContext } from '../graphql-context';
import { UserErrorView } from './types/common.types';
import { PaymentStatus } from './types/enums';
import { RefundPayload } from './types/payment-inputs.types';
import { PaymentView } from './types/payment.types';
import { ResolvePaymentInput, ResolvePaymentPayload, ResolveRefundInput } from './types/resolution.types';

/** What an admin needs to settle the outcomes the gateway could not learn by itself. */
@Resolver()
export class ResolutionResolver {
  @Authorized('admin', 'viewer')
  @Query(() => [PaymentView], { description: 'Payments, newest first; `status: UNKNOWN` lists those waiting for a human.' })
  async payments(
    @Arg('status', () => PaymentStatus, { nullable: true }) status: PaymentStatus | null,
    @Arg('shopId', () => Int, { nullable: true }) shopId: number | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100 }) limit: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentView[]> {
    return (await ctx.services.paymentReads.list(ctx.em, { status, shopId, limit: limit ?? 100, visibleShops: ctx.actor?.shopIds })).map(PaymentView.from);
  }

  @Authorized('admin')
  @Mutation(() => ResolvePaymentPayload, { description: 'Settles an UNKNOWN payment by what was learned at the provider.' })
  async resolveUnknownPayment(
    @Arg('input', () => ResolvePaymentInput) input: ResolvePaymentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ResolvePaymentPayload> {
    const result = await ctx.services.paymentResolution.resolveUnknown(useCase(ctx), input);
    return { payment: result.payment && PaymentView.from(result.payment), errors: result.errors.map(UserErrorView.from) };
  }

  @Authorized('admin')
  @Mutation(() => RefundPayload, { description: 'Settles an UNKNOWN refund by what was learned at the provider.' })
  async resolveUnknownRefund(@Arg('input', () => ResolveRefundInput) input: ResolveRefundInput, @Ctx() ctx: GraphQLContext): Promise<RefundPayload> {
    const result = await ctx.services.refunds.resolveUnknown(useCase(ctx), input);
    return RefundPayload.from(result);
  }
}
