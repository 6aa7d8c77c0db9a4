import { describe, expect, it } from 'vitest';
import type { PaymentProvider } from '../../src/providers/provider';
import { DuplicateProviderError, ProviderNotConfiguredError, ProviderRegistry } from '../../src/providers/registry';

function fakeProvider(id: string): PaymentProvider {
  const unused = () => Promise.reject(new Error('not used in these tests'));
  return {
    id,
    methods: new Set(),
    createPayment: unused,
    getStatus: unused,
    refund: unused,
  };
}

describe('the provider registry', () => {
  it('finds a registered provider by its id', () => {
    const kaspi = fakeProvider('kaspi');
    const registry = new ProviderRegistry([kaspi]);

    expect(registry.get('kaspi')).toBe(kaspi);
    expect(registry.has('kaspi')).toBe(true);
  });

  it('lists the registered ids in registration order', () => {
    const registry = new ProviderRegistry().register(fakeProvider('kaspi')).register(fakeProvider('cloudpayments'));
    expect(registry.ids()).toEqual(['kaspi', 'cloudpayments']);
  });

  it('refuses a second provider with an id already registered', () => {
    const registry = new ProviderRegistry([fakeProvider('kaspi')]);

    expect(() => registry.register(fakeProvider('kaspi'))).toThrow(DuplicateProviderError);
    expect(() => new ProviderRegistry([fakeProvider('a'), fakeProvider('a')])).toThrow('provider "a" is already registered');
  });

  it('answers that a provider it does not have is not configured', () => {
    const registry = new ProviderRegistry([fakeProvider('kaspi')]);

    expect(registry.has('cloudpayments')).toBe(false);
    expect(() => registry.get('cloudpayments')).toThrow(ProviderNotConfiguredError);
    expect(() => registry.get('cloudpayments')).toThrow('provider "cloudpayments" is not configured');
  });
});
