import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { useCase, type GraphQLContext } from '../graphql-context';
import type { ConfigResult } from '../services/config.service';
import { UserErrorView } from './types/common.types';
import { ConfigPayload, CreateConfigInput, PaymentConfigView, UpdateConfigInput } from './types/config.types';

@Resolver(() => PaymentConfigView)
export class ConfigResolver {
  @Authorized('admin', 'viewer')
  @Query(() => [PaymentConfigView])
  async configs(
    @Arg('shopId', () => Int, { nullable: true }) shopId: number | null,
    @Arg('isActive', () => Boolean, { nullable: true }) isActive: boolean | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PaymentConfigView[]> {
    return (await ctx.services.configs.list(ctx.em, { shopId, isActive, visibleShops: ctx.actor?.shopIds })).map(PaymentConfigView.from);
  }

  @Authorized('admin')
  @Mutation(() => ConfigPayload)
  async createConfig(@Arg('input', () => CreateConfigInput) input: CreateConfigInput, @Ctx() ctx: GraphQLContext): Promise<ConfigPayload> {
    return toPayload(await ctx.services.configs.create(useCase(ctx), input));
  }

  @Authorized('admin')
  @Mutation(() => ConfigPayload)
  async updateConfig(
    @Arg('shopId', () => Int) shopId: number,
    @Arg('input', () => UpdateConfigInput) input: UpdateConfigInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ConfigPayload> {
    return toPayload(await ctx.services.configs.update(useCase(ctx), shopId, input));
  }

  @Authorized('admin')
  @Mutation(() => ConfigPayload)
  async deactivateConfig(@Arg('shopId', () => Int) shopId: number, @Ctx() ctx: GraphQLContext): Promise<ConfigPayload> {
    return toPayload(await ctx.services.configs.deactivate(useCase(ctx), shopId));
  }
}

function toPayload(result: ConfigResult): ConfigPayload {
  return { config: result.config && PaymentConfigView.from(result.config), errors: result.errors.map(UserErrorView.from) };
}
