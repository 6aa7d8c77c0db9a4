import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { LogOperation } from './types/enums';
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
    @Arg('operationType', () => LogOperation, { nullable: true }) operationType?: LogOperation | null,
    @Arg('id', () => ID, { nullable: true, description: 'Rows about this payment, refund, provider id or request.' }) id?: string | null,
    @Arg('before', () => ID, { nullable: true, description: 'Rows older than this row id: the next page.' }) before?: string | null,
  ): Promise<PaymentLogView[]> {
    return (await ctx.services.audit.list(ctx.em, { shopId, externalId, operationType, id, before, limit: limit ?? 100, visibleShops: ctx.actor?.shopIds })).map(PaymentLogView.from);
  }
}
