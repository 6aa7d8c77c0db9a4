import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { useCase, type GraphQLContext } from '../graphql-context';
import { PaymentView } from './types/payment.types';
import { WebhookEndpointView } from './types/webhook.types';
import { Caller, NeedsAttention, PaymentPage, PaymentSearchInput } from './types/payment-search.types';

/** What an operator's console reads: payments by filter or id, a page at a time, and what needs a human. */
@Resolver()
export class PaymentSearchResolver {
  @Authorized('admin', 'viewer')
  @Query(() => PaymentPage, { description: 'Payments matching the filter, newest first, a page at a time.' })
  async paymentSearch(
    @Arg('filter', () => PaymentSearchInput, { nullable: true }) filter: PaymentSearchInput | null,
    @Arg('offset', () => Int, { nullable: true, defaultValue: 0 }) offset: number,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 50 }) limit: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentPage> {
    const page = await ctx.services.paymentSearch.search(ctx.em, { ...filter, offset: offset ?? 0, limit: limit ?? 50, visibleShops: ctx.actor?.shopIds });
    return { items: page.payments.map(PaymentView.from), totalCount: page.totalCount };
  }

  @Authorized('admin', 'viewer')
  @Query(() => NeedsAttention)
  async needsAttention(@Ctx() ctx: GraphQLContext): Promise<NeedsAttention> {
    const found = await ctx.services.paymentSearch.needsAttention(ctx.em, ctx.actor?.shopIds);
    return {
      unknownPayments: found.unknownPayments.map(PaymentView.from),
      unknownRefunds: found.unknownRefunds.map(PaymentView.from),
      disabledWebhookEndpoints: found.disabledWebhookEndpoints.map(WebhookEndpointView.from),
      count: found.count,
    };
  }

  @Authorized()
  @Query(() => Caller, { description: 'Who is calling: the label and role of the API key, so that a client shows only what it may do.' })
  caller(@Ctx() ctx: GraphQLContext): Caller {
    const { actor } = useCase(ctx);
    return { label: actor.label, role: actor.role, shopIds: actor.shopIds && [...actor.shopIds] };
  }
}
