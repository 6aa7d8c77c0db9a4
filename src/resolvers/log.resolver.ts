import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { PaymentLogView } from './types/log.types';

@Resolver(() => PaymentLogView)
export class LogResolver {
  @Authorized('admin', 'viewer')
  @Query(() => [PaymentLogView], { description: 'The audit log, newest first.' })
  async logs(
    @Arg('shopId', () => Int, { nullable: true }) shopId: number | null,
    @Arg('externalId', () => String, { nullable: true }) externalId: string | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100 }) limit: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentLogView[]> {
    return (await ctx.services.audit.list(ctx.em, { shopId, externalId, limit: limit ?? 100 })).map(PaymentLogView.from);
  }
}
