import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PaymentMethod } from '../domain/payment-method';
import { useCase, type GraphQLContext } from '../graphql-context';
import { UserErrorView } from './types/common.types';
import { drawQrSvg } from '../services/qr-picture.service';
import {
  CreateKaspiPaymentInput,
  CreateKaspiPaymentPayload,
  CreatePaymentInput,
  CreatePaymentPayload,
} from './types/payment-inputs.types';
import { PaymentView } from './types/payment.types';

@Resolver(() => PaymentView)
export class PaymentResolver {
  @Authorized('admin', 'service')
  @Mutation(() => CreateKaspiPaymentPayload)
  async createKaspiPayment(
    @Arg('input', () => CreateKaspiPaymentInput) input: CreateKaspiPaymentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CreateKaspiPaymentPayload> {
    const result = await ctx.services.paymentCreation.create(useCase(ctx), { ...input, method: PaymentMethod.KASPI_REMOTE });
    return { payment: result.payment && PaymentView.from(result.payment), errors: result.errors.map(UserErrorView.from) };
  }

  @Authorized('admin', 'service')
  @Mutation(() => CreatePaymentPayload)
  async createPayment(
    @Arg('input', () => CreatePaymentInput) input: CreatePaymentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CreatePaymentPayload> {
    const result = await ctx.services.paymentCreation.create(useCase(ctx), input);
    return { payment: result.payment && PaymentView.from(result.payment), errors: result.errors.map(UserErrorView.from) };
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'The QR code (qrToken) drawn as an SVG image, to show as it is; null for methods without one.',
  })
  qrSvg(@Root() payment: PaymentView): Promise<string | null> | null {
    return payment.qrToken ? drawQrSvg(payment.qrToken) : null;
  }

  @Authorized('admin', 'service', 'viewer')
  @Query(() => PaymentView, {
    nullable: true,
    description: 'The payment with this provider id, its status refreshed from the provider unless already final; null if unknown here.',
  })
  async paymentStatus(@Arg('externalId', () => String) externalId: string, @Ctx() ctx: GraphQLContext): Promise<PaymentView | null> {
    const payment = await ctx.services.paymentStatusSync.paymentStatus(useCase(ctx), externalId);
    return payment && PaymentView.from(payment);
  }

  @Authorized('admin', 'service', 'viewer')
  @Query(() => PaymentView, { nullable: true })
  async payment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<PaymentView | null> {
    const payment = await ctx.services.paymentReads.findById(ctx.em, id, useCase(ctx).actor);
    return payment && PaymentView.from(payment);
  }
}
