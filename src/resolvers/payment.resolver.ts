import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { useCase, type GraphQLContext } from '../graphql-context';
import { UserErrorView } from './types/common.types';
import { CreateKaspiPaymentInput, CreateKaspiPaymentPayload } from './types/payment-inputs.types';
import { PaymentView } from './types/payment.types';

@Resolver(() => PaymentView)
export class PaymentResolver {
  @Authorized('admin', 'service')
  @Mutation(() => CreateKaspiPaymentPayload)
  async createKaspiPayment(
    @Arg('input', () => CreateKaspiPaymentInput) input: CreateKaspiPaymentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CreateKaspiPaymentPayload> {
    const result = await ctx.services.payments.create(useCase(ctx), input);
    return { payment: result.payment && PaymentView.from(result.payment), errors: result.errors.map(UserErrorView.from) };
  }

  @Authorized('admin', 'service', 'viewer')
  @Query(() => PaymentView, {
    nullable: true,
    description: 'The payment with this provider id, its status refreshed from the provider unless already final; null if unknown here.',
  })
  async paymentStatus(@Arg('externalId', () => String) externalId: string, @Ctx() ctx: GraphQLContext): Promise<PaymentView | null> {
    const payment = await ctx.services.payments.paymentStatus(useCase(ctx), externalId);
    return payment && PaymentView.from(payment);
  }

  @Authorized('admin', 'service', 'viewer')
  @Query(() => PaymentView, { nullable: true })
  async payment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<PaymentView | null> {
    const payment = await ctx.services.payments.findById(ctx.em, id, useCase(ctx).actor);
    return payment && PaymentView.from(payment);
  }
}
