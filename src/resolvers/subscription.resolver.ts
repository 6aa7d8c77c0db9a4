import { Arg, Authorized, Int, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { useCase, type GraphQLContext } from '../graphql-context';
import { visibleStatusChanges } from '../services/visible-status-changes';
import type { StatusChange } from '../services/payment-events.service';
import { PaymentStatusChangeView, PaymentView } from './types/payment.types';

interface StatusChangedArgs {
  externalId?: string | null;
  shopId?: number | null;
  since?: Date | null;
}

@Resolver()
export class SubscriptionResolver {
  @Authorized('admin', 'service', 'viewer')
  @Subscription(() => PaymentStatusChangeView, {
    description:
      'Every status change of matching payments, as it is committed; no filter means every payment the caller may see. With `since`, every change committed after that moment is replayed first.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, StatusChangedArgs, GraphQLContext>) =>
      visibleStatusChanges(
        useCase(context).actor,
        context.services.events.subscribe({ externalId: args.externalId, shopId: args.shopId }, args.since ?? null, context.chargeReplay ?? null),
      ),
  })
  paymentStatusChanged(
    @Root() change: StatusChange,
    @Arg('externalId', () => String, { nullable: true }) _externalId: string | null,
    @Arg('shopId', () => Int, { nullable: true }) _shopId: number | null,
    @Arg('since', () => Date, {
      nullable: true,
      description:
        'Replay every change committed after this moment before going live, e.g. the changedAt of the last change seen before a reconnect. At most EVENT_REPLAY_WINDOW_MS back (7 days by default); older is BAD_INPUT. A replay is charged to the read budget, one read per 100 changes.',
    })
    _since: Date | null,
  ): PaymentStatusChangeView {
    return Object.assign(new PaymentStatusChangeView(), {
      id: change.eventId.toString(),
      payment: PaymentView.from(change.payment),
      previousStatus: change.previousStatus,
      status: change.status,
      changedAt: change.changedAt,
      replayCutShort: change.replayCutShort ?? null,
    });
  }
}
