import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { useCase, type GraphQLContext } from '../graphql-context';
import { RefundInput, RefundPayload } from './types/payment-inputs.types';

@Resolver()
export class RefundResolver {
  @Authorized('admin', 'service')
  @Mutation(() => RefundPayload)
  async refund(@Arg('input', () => RefundInput) input: RefundInput, @Ctx() ctx: GraphQLContext): Promise<RefundPayload> {
    const result = await ctx.services.refunds.refund(useCase(ctx), input);
    return RefundPayload.from(result);
  }
}
