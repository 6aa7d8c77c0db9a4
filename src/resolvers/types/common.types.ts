import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { UserError } from '../../errors';
import { ErrorCode } from './enums';

@ObjectType('UserError', { description: 'An expected, business-level failure of a mutation, returned as data (not as a GraphQL error).' })
export class UserErrorView {
  @Field(() => ErrorCode)
  code!: ErrorCode;

  @Field(() => String)
  message!: string;

  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "phone"].' })
  field!: string[] | null;

  @Field(() => Boolean, { description: 'True when the same request, with the same idempotency key, may succeed later.' })
  retryable!: boolean;

  @Field(() => String, { nullable: true, description: 'The provider\'s own error code, e.g. Kaspi\'s "-1501".' })
  providerCode!: string | null;

  static from(error: UserError): UserErrorView {
    return Object.assign(new UserErrorView(), {
      code: error.code,
      message: error.message,
      field: error.field ?? null,
      retryable: error.retryable ?? false,
      providerCode: error.providerCode ?? null,
    });
  }
}

/** The head of every record kept per shop and its organisation (a config, a log row). Nothing returns it, so the schema never shows it as a type of its own. */
@ObjectType()
export abstract class ShopRecordView {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  shopId!: number;

  @Field(() => String)
  organizationBin!: string;
}
