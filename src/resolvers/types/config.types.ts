import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { maskDeviceToken } from '../../domain/device-token';
import type { PaymentConfig } from '../../entities/payment-config.entity';
import { DEFAULT_PROVIDER_ID } from '../../providers/provider-ids';
import { ShopRecordView, UserErrorView } from './common.types';

@ObjectType('PaymentConfig')
export class PaymentConfigView extends ShopRecordView {
  @Field(() => String, { nullable: true, description: 'Masked: only its first 8 characters are shown, e.g. "66cbf4e5…".' })
  deviceToken!: string | null;

  @Field(() => Boolean)
  isActive!: boolean;

  @Field(() => String)
  provider!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: "The CloudPayments site's Public ID (not a secret); null for other providers. The API secret is never shown.",
  })
  cloudPaymentsPublicId!: string | null;

  static from(config: PaymentConfig): PaymentConfigView {
    return Object.assign(new PaymentConfigView(), {
      id: String(config.id),
      shopId: config.shopId,
      organizationBin: config.organizationBin,
      deviceToken: maskDeviceToken(config.deviceToken),
      isActive: config.isActive,
      provider: config.provider,
      description: config.description,
      createdAt: config.createdAt,
      updatedAt: config.updatedAt,
      cloudPaymentsPublicId: config.cloudPaymentsPublicId,
    });
  }
}

@InputType({ description: 'The credentials of a CloudPayments site (cabinet → site settings).' })
export class CloudPaymentsCredentialsInput {
  @Field(() => String)
  publicId!: string;

  @Field(() => String, { description: 'Stored encrypted like device tokens; never shown again.' })
  apiSecret!: string;
}

@InputType()
export class CreateConfigInput {
  @Field(() => Int)
  shopId!: number;

  @Field(() => String)
  organizationBin!: string;

  @Field(() => String, { nullable: true })
  deviceToken?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  isActive?: boolean | null;

  @Field(() => String, { nullable: true, defaultValue: DEFAULT_PROVIDER_ID, description: '"kaspi" or "cloudpayments".' })
  provider?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => CloudPaymentsCredentialsInput, { nullable: true, description: 'Required when provider is "cloudpayments".' })
  cloudPayments?: CloudPaymentsCredentialsInput | null;
}

@InputType()
export class UpdateConfigInput {
  @Field(() => String, { nullable: true })
  organizationBin?: string | null;

  @Field(() => String, { nullable: true, description: 'A new device token; null or "" removes it.' })
  deviceToken?: string | null;

  @Field(() => Boolean, { nullable: true })
  isActive?: boolean | null;

  @Field(() => String, { nullable: true })
  provider?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => CloudPaymentsCredentialsInput, { nullable: true })
  cloudPayments?: CloudPaymentsCredentialsInput | null;
}

@ObjectType()
export class ConfigPayload {
  @Field(() => PaymentConfigView, { nullable: true })
  config!: PaymentConfigView | null;

  @Field(() => [UserErrorView])
  errors!: UserErrorView[];
}
