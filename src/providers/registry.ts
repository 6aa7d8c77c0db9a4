import type { PaymentProvider } from './provider';

/** Asked for a provider that was not registered at start-up. */
export class ProviderNotConfiguredError extends Error {
  constructor(readonly providerId: string) {
    super(`provider "${providerId}" is not configured`);
    this.name = 'ProviderNotConfiguredError';
  }
}

/** Two providers registered under one id: a start-up mistake, refused loudly. */
export class DuplicateProviderError extends Error {
  constructor(readonly providerId: string) {
    super(`provider "${providerId}" is already registered`);
    this.name = 'DuplicateProviderError';
  }
}

/**
 * The payment providers this gateway can use, by id. Built once at start-up and handed to the
 * services; a payment names its provider and the registry finds it.
 *
 * @example
 * const registry = new ProviderRegistry([createKaspiProvider(settings)]);
 * const provider = registry.get(payment.provider);
 */
export class ProviderRegistry {
  private readonly providers = new Map<string, PaymentProvider>();

  constructor(providers: Iterable<PaymentProvider> = []) {
    for (const provider of providers) this.register(provider);
  }

  /** @throws DuplicateProviderError when a provider with the same id is already registered. */
  register(provider: PaymentProvider): this {
    if (this.providers.has(provider.id)) throw new DuplicateProviderError(provider.id);
    this.providers.set(provider.id, provider);
    return this;
  }

  /** @throws ProviderNotConfiguredError when no provider has this id. */
  get(id: string): PaymentProvider {
    const provider = this.providers.get(id);
    if (!provider) throw new ProviderNotConfiguredError(id);
    return provider;
  }

  /** The provider with this id, or undefined: for callers that have a way on without it. */
  find(id: string): PaymentProvider | undefined {
    return this.providers.get(id);
  }

  has(id: string): boolean {
    return this.providers.has(id);
  }

  /** The registered ids, in registration order. */
  ids(): string[] {
    return [...this.providers.keys()];
  }
}
