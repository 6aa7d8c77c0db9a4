import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { EVERY_SHOP, useCase, type GraphQLContext } from '../graphql-context';
import { ApiKeyView, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyPayload } from './types/api-key.types';
import { UserErrorView } from './types/common.types';

@Resolver(() => ApiKeyView)
export class ApiKeyResolver {
  @Authorized('admin', EVERY_SHOP)
  @Query(() => [ApiKeyView], { description: 'Every API key, revoked ones included; never a key itself.' })
  async apiKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKeyView[]> {
    return (await ctx.services.apiKeys.listKeys(useCase(ctx))).map(ApiKeyView.from);
  }

  @Authorized('admin', EVERY_SHOP)
  @Mutation(() => CreateApiKeyPayload, { description: 'Creates an API key; its secret is in this answer and nowhere else, ever. Audited.' })
  async createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: GraphQLContext): Promise<CreateApiKeyPayload> {
    const result = await ctx.services.apiKeys.createKey(useCase(ctx), input);
    return { apiKey: result.apiKey && ApiKeyView.from(result.apiKey), secret: result.secret ?? null, errors: result.errors.map(UserErrorView.from) };
  }

  @Authorized('admin', EVERY_SHOP)
  @Mutation(() => RevokeApiKeyPayload, { description: 'Revokes an API key: it stops working everywhere within API_KEY_CACHE_MS, open WebSockets included. Audited.' })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<RevokeApiKeyPayload> {
    const result = await ctx.services.apiKeys.revokeKey(useCase(ctx), id);
    return { apiKey: result.apiKey && ApiKeyView.from(result.apiKey), errors: result.errors.map(UserErrorView.from) };
  }
}
