import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { WebhookDelivery } from '../../entities/webhook-delivery.entity';
import type { WebhookEndpoint } from '../../entities/webhook-endpoint.entity';
import { UserErrorView } from './common.types';
import { WebhookDeliveryStatus, WebhookEventType } from './enums';

/** An endpoint as anyone may read it: never its secret. */
@ObjectType('WebhookEndpoint')
export class WebhookEndpointView {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'An https URL (http only to loopback outside production).' })
  url!: string;

  @Field(() => [WebhookEventType])
  events!: WebhookEventType[];

  @Field(() => [Int], { nullable: true, description: 'Only events of these shops; null means every shop.' })
  shopIds!: number[] | null;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Boolean)
  isActive!: boolean;

  @Field(() => String, { nullable: true, description: 'Why the gateway turned the endpoint off by itself (e.g. it failed for days), if it did.' })
  disabledReason!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  static from(endpoint: WebhookEndpoint): WebhookEndpointView {
    return Object.assign(new WebhookEndpointView(), {
      id: endpoint.id,
      url: endpoint.url,
      events: endpoint.events,
      shopIds: endpoint.shopIds,
      description: endpoint.description,
      isActive: endpoint.isActive,
      disabledReason: endpoint.disabledReason,
      createdAt: endpoint.createdAt,
      updatedAt: endpoint.updatedAt,
    });
  }
}

@InputType()
export class CreateWebhookEndpointInput {
  @Field(() => String)
  url!: string;

  @Field(() => [WebhookEventType])
  events!: WebhookEventType[];

  @Field(() => [Int], { nullable: true })
  shopIds?: number[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => [WebhookEventType], { nullable: true })
  events?: WebhookEventType[] | null;

  @Field(() => [Int], { nullable: true })
  shopIds?: number[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Turning an endpoint back on also clears disabledReason.' })
  isActive?: boolean | null;
}

@ObjectType()
export class WebhookEndpointPayload {
  @Field(() => WebhookEndpointView, { nullable: true })
  endpoint!: WebhookEndpointView | null;

  @Field(() => String, {
    nullable: true,
    description: 'The signing secret (whsec_…): returned only by createWebhookEndpoint and rotateWebhookSecret, never stored in clear.',
  })
  secret!: string | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];
}

@ObjectType('WebhookDelivery')
export class WebhookDeliveryView {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  endpointId!: string;

  @Field(() => ID, { description: 'The webhook-id header: the same for every attempt of this event to this endpoint.' })
  eventId!: string;

  @Field(() => WebhookEventType)
  eventType!: WebhookEventType;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true })
  lastResponseStatus!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  static from(delivery: WebhookDelivery): WebhookDeliveryView {
    return Object.assign(new WebhookDeliveryView(), {
      id: delivery.id,
      endpointId: delivery.endpoint.id,
      eventId: delivery.webhookId,
      eventType: delivery.eventType,
      status: delivery.status,
      attempts: delivery.attempts,
      lastResponseStatus: delivery.lastResponseStatus,
      lastError: delivery.lastError,
      nextAttemptAt: delivery.nextAttemptAt,
      createdAt: delivery.createdAt,
      deliveredAt: delivery.deliveredAt,
    });
  }
}

@ObjectType()
export class WebhookDeliveryPayload {
  @Field(() => WebhookDeliveryView, { nullable: true })
  delivery!: WebhookDeliveryView | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];
}
