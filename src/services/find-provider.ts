import type { PaymentProvider } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';

export function findProvider(registry: ProviderRegistry, id: string): PaymentProvider | undefined {
  return registry.has(id) ? registry.get(id) : undefined;
}
