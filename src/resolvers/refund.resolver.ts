import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { useCase, type GraphQLContext } from '../graphql-context';
import { UserErrorView } from './types/common.types';
import { RefundInput, RefundPayload } from './types/payment-inputs.types';
import { PaymentView, RefundView } from './types/payment.types';

@Resolver()
export class RefundResolver {
  @Authorized('admin', 'service')
  @Mutation(() => RefundPayload)
  async refund(@Arg('input', () => RefundInput) input: RefundInput, @Ctx() ctx: GraphQLContext): Promise<RefundPayload> {
    const result = await ctx.services.refunds.refund(useCase(ctx), input);
    return {
      refund: result.refund && RefundView.from(result.refund),
      payment: result.payment && PaymentView.from(result.payment),
      errors: result.errors.map(UserErrorView.from),
    };
  }
}
