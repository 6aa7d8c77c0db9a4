import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { ApiRole } from '../../config';
import type { ApiKeyRecord } from '../../services/api-key.service';
import { UserErrorView } from './common.types';

@ObjectType('ApiKey', { description: 'An API key as an administrator sees it: never the key itself.' })
export class ApiKeyView {
  @Field(() => ID, { description: 'The key id (for keys from API_KEYS, "env:" and the start of its digest).' })
  id!: string;

  @Field(() => String)
  label!: string;

  @Field(() => String, { description: '"admin", "service" or "viewer".' })
  role!: ApiRole;

  @Field(() => [Int], { nullable: true, description: 'The only shops the key sees and acts on; null for every shop.' })
  shopIds!: number[] | null;

  @Field(() => String, { description: '"DATABASE" (managed here and with npm run apikey) or "ENVIRONMENT" (API_KEYS; removed from there).' })
  source!: ApiKeyRecord['source'];

  @Field(() => Date, { nullable: true })
  createdAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was revoked; null while it works.' })
  revokedAt!: Date | null;

  static from(record: ApiKeyRecord): ApiKeyView {
    return Object.assign(new ApiKeyView(), record);
  }
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => String, { description: '"admin", "service" or "viewer".' })
  role!: ApiRole;

  @Field(() => String, { description: 'Who holds the key, e.g. "main-backend"; at most 100 characters.' })
  label!: string;

  @Field(() => [Int], { nullable: true, description: 'Limit the key to these shops; everything else is as if it did not exist for it.' })
  shopIds?: number[] | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKeyView, { nullable: true })
  apiKey!: ApiKeyView | null;

  @Field(() => String, { nullable: true, description: 'The key itself: shown this once and never again (only its digest is stored).' })
  secret!: string | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];
}

@ObjectType()
export class RevokeApiKeyPayload {
  @Field(() => ApiKeyView, { nullable: true })
  apiKey!: ApiKeyView | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];
}
