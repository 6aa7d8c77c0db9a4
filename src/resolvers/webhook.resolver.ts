import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { WebhookDeliveryStatus } from '../domain/webhook-delivery';
import { EVERY_SHOP, useCase, type GraphQLContext } from '../graphql-context';
import type { DeliveryResult } from '../services/webhooks/webhook-delivery.service';
import type { EndpointResult } from '../services/webhooks/webhook-endpoint.service';
import { UserErrorView } from './types/common.types';
import {
  CreateWebhookEndpointInput,
  UpdateWebhookEndpointInput,
  WebhookDeliveryPayload,
  WebhookDeliveryView,
  WebhookEndpointPayload,
  WebhookEndpointView,
} from './types/webhook.types';

@Resolver(() => WebhookEndpointView)
export class WebhookResolver {
  @Authorized('admin', 'viewer', EVERY_SHOP)
  @Query(() => [WebhookEndpointView])
  async webhookEndpoints(@Ctx() ctx: GraphQLContext): Promise<WebhookEndpointView[]> {
    return (await ctx.services.webhookEndpoints.list(ctx.em)).map(WebhookEndpointView.from);
  }

  @Authorized('admin', 'viewer', EVERY_SHOP)
  @Query(() => [WebhookDeliveryView], { description: 'Deliveries, newest first.' })
  async webhookDeliveries(
    @Arg('endpointId', () => ID, { nullable: true }) endpointId: string | null,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status: WebhookDeliveryStatus | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100 }) limit: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookDeliveryView[]> {
    return (await ctx.services.webhookDeliveries.list(ctx.em, { endpointId, status, limit: limit ?? 100 })).map(WebhookDeliveryView.from);
  }

  @Authorized('admin', EVERY_SHOP)
  @Mutation(() => WebhookEndpointPayload)
  async createWebhookEndpoint(
    @Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookEndpointPayload> {
    return endpointPayload(await ctx.services.webhookEndpoints.create(useCase(ctx), input));
  }

  @Authorized('admin', EVERY_SHOP)
  @Mutation(() => WebhookEndpointPayload)
  async updateWebhookEndpoint(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookEndpointPayload> {
    return endpointPayload(await ctx.services.webhookEndpoints.update(useCase(ctx), id, input));
  }

  @Authorized('admin', EVERY_SHOP)
  @Mutation(() => WebhookEndpointPayload)
  async deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<WebhookEndpointPayload> {
    return endpointPayload(await ctx.services.webhookEndpoints.delete(useCase(ctx), id));
  }

  @Authorized('admin', EVERY_SHOP)
  @Mutation(() => WebhookEndpointPayload, {
    description: 'A new secret, returned once; the old one keeps signing alongside it for 24 h, so receivers can switch without a gap.',
  })
  async rotateWebhookSecret(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<WebhookEndpointPayload> {
    return endpointPayload(await ctx.services.webhookEndpoints.rotateSecret(useCase(ctx), id));
  }

  @Authorized('admin', EVERY_SHOP)
  @Mutation(() => WebhookDeliveryPayload, { description: 'Sends a delivery again now, whatever its status; the webhook-id stays the same.' })
  async redeliverWebhook(@Arg('deliveryId', () => ID) deliveryId: string, @Ctx() ctx: GraphQLContext): Promise<WebhookDeliveryPayload> {
    return deliveryPayload(await ctx.services.webhookDeliveries.redeliver(useCase(ctx), deliveryId));
  }
}

function endpointPayload(result: EndpointResult): WebhookEndpointPayload {
  return { endpoint: result.endpoint && WebhookEndpointView.from(result.endpoint), secret: result.secret, errors: result.errors.map(UserErrorView.from) };
}

function deliveryPayload(result: DeliveryResult): WebhookDeliveryPayload {
  return { delivery: result.delivery && WebhookDeliveryView.from(result.delivery), errors: result.errors.map(UserErrorView.from) };
}
