import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { PaymentView } from './types/payment.types';
import { WebhookDeliveryView } from './types/webhook.types';

/** A payment's webhook deliveries, for the history of everything that happened to it. */
@Resolver(() => PaymentView)
export class PaymentDeliveriesResolver {
  @Authorized('admin', 'viewer')
  @FieldResolver(() => [WebhookDeliveryView], { description: 'The webhook deliveries announcing changes of this payment and its refunds, oldest first (admins and viewers).' })
  async webhookDeliveries(@Root() payment: PaymentView, @Ctx() ctx: GraphQLContext): Promise<WebhookDeliveryView[]> {
    return (await ctx.services.paymentSearch.webhookDeliveriesOf(ctx.em, payment.id)).map(WebhookDeliveryView.from);
  }
}
