import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { maskDeviceToken } from '../domain/device-token';
import { merchantAccountOf, PaymentConfig } from '../entities/payment-config.entity';
import { LogOperation } from '../entities/payment-log.entity';
import { ErrorCode, userError, type UserError } from '../errors';
import { DEFAULT_PROVIDER_ID } from '../providers/provider-ids';
import type { ProviderRegistry } from '../providers/registry';
import type { AuditService } from './audit.service';
import type { ConfigCache } from './config-cache';
import { inTransaction, originOf, seesShop, shopScope, type UseCaseContext } from './use-case-context';
import { DESCRIPTION_MAX_LENGTH, InputCheck } from './input-check';

export interface CreateConfigCommand {
  shopId: number;
  organizationBin: string;
  deviceToken?: string | null;
  isActive?: boolean | null;
  provider?: string | null;
  description?: string | null;
  cloudPayments?: MerchantAccountInput | null;
}

/** A CloudPayments site's credentials as the API takes them. */
export interface MerchantAccountInput {
  publicId: string;
  apiSecret: string;
}

export interface UpdateConfigCommand {
  organizationBin?: string | null;
  deviceToken?: string | null;
  isActive?: boolean | null;
  provider?: string | null;
  description?: string | null;
  cloudPayments?: MerchantAccountInput | null;
}

export interface ConfigResult {
  config: PaymentConfig | null;
  errors: UserError[];
}

/** Shop configurations: which organization (BIN), device and provider take a shop's payments. */
export class ConfigService {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly audit: AuditService,
    private readonly cache: ConfigCache,
  ) {}

  async list(em: EntityManager, filter: { shopId?: number | null; isActive?: boolean | null; visibleShops?: readonly number[] | null }): Promise<PaymentConfig[]> {
    const scope = shopScope(filter.visibleShops, filter.shopId);
    if (!scope) return [];
    const where: Record<string, unknown> = { ...scope };
    if (filter.isActive != null) where.isActive = filter.isActive;
    return em.find(PaymentConfig, where, { orderBy: { shopId: 'asc' } });
  }

  async create(ctx: UseCaseContext, input: CreateConfigCommand): Promise<ConfigResult> {
    const check = new InputCheck();
    const shopId = check.shopId(input.shopId);
    const organizationBin = check.bin(input.organizationBin);
    const deviceToken = check.deviceToken(input.deviceToken);
    const provider = this.checkProvider(check, input.provider ?? DEFAULT_PROVIDER_ID);
    const description = check.text(input.description, DESCRIPTION_MAX_LENGTH, ['input', 'description']);
    const account = input.cloudPayments ? check.merchantAccount(input.cloudPayments) : null;
    this.checkAccount(check, provider, account !== null);
    if (!check.ok) return { config: null, errors: check.errors };
    if (!seesShop(ctx.actor, shopId)) return { config: null, errors: [userError(ErrorCode.BAD_INPUT, 'this API key is limited to other shops', ['input', 'shopId'])] };

    try {
      const config = await inTransaction(ctx.em, async (tx) => {
        const row = tx.create(PaymentConfig, {
          shopId,
          organizationBin,
          deviceToken,
          provider,
          description,
          isActive: input.isActive ?? true,
          cloudPaymentsPublicId: account?.publicId ?? null,
          cloudPaymentsApiSecret: account?.apiSecret ?? null,
        } as PaymentConfig);
        tx.persist(row);
        this.recordChange(tx, ctx, row, LogOperation.CONFIG_CREATE, { created: describe(row) });
        return row;
      });
      this.cache.invalidate(shopId);
      return { config, errors: [] };
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        return { config: null, errors: [userError(ErrorCode.CONFIG_EXISTS, `shop ${shopId} already has a configuration`, ['input', 'shopId'])] };
      }
      throw error;
    }
  }

  async update(ctx: UseCaseContext, shopIdInput: number, input: UpdateConfigCommand): Promise<ConfigResult> {
    const check = new InputCheck();
    const shopId = check.shopId(shopIdInput, ['shopId']);
    const changes: Partial<PaymentConfig> = {};
    if (input.organizationBin != null) changes.organizationBin = check.bin(input.organizationBin);
    if (input.deviceToken !== undefined) changes.deviceToken = check.deviceToken(input.deviceToken);
    if (input.isActive != null) changes.isActive = input.isActive;
    if (input.provider != null) changes.provider = this.checkProvider(check, input.provider);
    if (input.description !== undefined) {
      changes.description = check.text(input.description, DESCRIPTION_MAX_LENGTH, ['input', 'description']);
    }
    if (input.cloudPayments) {
      const account = check.merchantAccount(input.cloudPayments);
      changes.cloudPaymentsPublicId = account.publicId;
      changes.cloudPaymentsApiSecret = account.apiSecret;
    }
    if (!check.ok) return { config: null, errors: check.errors };
    if (!seesShop(ctx.actor, shopId)) return notFound(shopId);

    const result = await inTransaction(ctx.em, async (tx) => {
      const config = await tx.findOne(PaymentConfig, { shopId });
      if (!config) return notFound(shopId);
      const refusal = new InputCheck();
      this.checkAccount(refusal, changes.provider ?? config.provider, merchantAccountOf({ ...config, ...changes } as PaymentConfig) !== null);
      if (!refusal.ok) return { config: null, errors: refusal.errors };
      const before = describe(config);
      tx.assign(config, changes);
      this.recordChange(tx, ctx, config, LogOperation.CONFIG_UPDATE, { before, after: describe(config) });
      return { config, errors: [] };
    });
    this.cache.invalidate(shopId);
    return result;
  }

  /** Soft: the row stays, so that the audit log and old payments keep their meaning. */
  async deactivate(ctx: UseCaseContext, shopIdInput: number): Promise<ConfigResult> {
    const check = new InputCheck();
    const shopId = check.shopId(shopIdInput, ['shopId']);
    if (!check.ok) return { config: null, errors: check.errors };
    if (!seesShop(ctx.actor, shopId)) return notFound(shopId);
    const result = await inTransaction(ctx.em, async (tx) => {
      const config = await tx.findOne(PaymentConfig, { shopId });
      if (!config) return notFound(shopId);
      config.isActive = false;
      this.recordChange(tx, ctx, config, LogOperation.CONFIG_DEACTIVATE, { after: describe(config) });
      return { config, errors: [] };
    });
    this.cache.invalidate(shopId);
    return result;
  }

  private checkProvider(check: InputCheck, provider: string): string {
    const id = provider.trim();
    if (!this.registry.has(id)) check.fail(['input', 'provider'], `provider "${id.slice(0, 40)}" is not configured`);
    return id;
  }

  /** A provider that authenticates each merchant cannot take a shop's payments without its account. */
  private checkAccount(check: InputCheck, providerId: string, hasAccount: boolean): void {
    if (!hasAccount && this.registry.find(providerId)?.requiresMerchantAccount) {
      check.fail(['input', 'cloudPayments'], `provider "${providerId}" needs the site's credentials: cloudPayments { publicId, apiSecret }`);
    }
  }

  private recordChange(
    tx: EntityManager,
    ctx: UseCaseContext,
    config: PaymentConfig,
    operationType: LogOperation,
    details: Record<string, unknown>,
  ): void {
    this.audit.config(tx, config, { operation: operationType, status: config.isActive ? 'active' : 'inactive', details }, originOf(ctx));
  }
}

function notFound(shopId: number): ConfigResult {
  return { config: null, errors: [userError(ErrorCode.CONFIG_NOT_FOUND, `shop ${shopId} has no payment configuration`, ['shopId'])] };
}

/** What the audit log keeps of a configuration: the device token masked, the API secret left out. */
function describe(config: PaymentConfig): Record<string, unknown> {
  return {
    organizationBin: config.organizationBin,
    deviceToken: maskDeviceToken(config.deviceToken),
    isActive: config.isActive,
    provider: config.provider,
    description: config.description,
    cloudPaymentsPublicId: config.cloudPaymentsPublicId,
  };
}
