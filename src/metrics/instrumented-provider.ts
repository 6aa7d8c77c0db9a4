import type { Logger } from '../logger';
import { isProviderError, type PaymentProvider } from '../providers/provider';
import type { GatewayMetrics, ProviderCallOutcome } from './metrics';

/**
 * The same provider, with every call timed and counted by outcome and provider code, and its
 * failures logged (the request id comes with the request's scope). Wrapped once, at registration,
 * so that services and providers stay as they are.
 */
export function instrumentProvider(provider: PaymentProvider, metrics: GatewayMetrics, logger: Logger): PaymentProvider {
  const observe = <R, A>(operation: string, call: (request: A) => Promise<R>) => {
    return async (request: A): Promise<R> => {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const result = await call(request);
        metrics.observeProviderCall({ provider: provider.id, operation, outcome: 'ok', code: null, seconds: seconds() });
        return result;
      } catch (error) {
        const outcome = outcomeOf(error);
        const code = (error as { providerCode?: string | null }).providerCode ?? null;
        metrics.observeProviderCall({ provider: provider.id, operation, outcome, code, seconds: seconds() });
        logger.warn({ provider: provider.id, operation, outcome, providerCode: code, err: error }, 'provider call failed');
        throw error;
      }
    };
  };

  const instrumented: PaymentProvider = {
    id: provider.id,
    methods: provider.methods,
    createPayment: observe('create', (request) => provider.createPayment(request)),
    getStatus: observe('status', (request) => provider.getStatus(request)),
    refund: observe('refund', (request) => provider.refund(request)),
  };
  if (provider.getRefundableAmount) {
    const lookUp = provider.getRefundableAmount.bind(provider);
    instrumented.getRefundableAmount = observe('refundable_amount', lookUp);
  }
  if (provider.cancelPayment) {
    const cancel = provider.cancelPayment.bind(provider);
    instrumented.cancelPayment = observe('cancel', cancel);
  }
  if (provider.findPayment) {
    const find = provider.findPayment.bind(provider);
    instrumented.findPayment = observe('find', find);
  }
  return { ...instrumented, requiresMerchantAccount: provider.requiresMerchantAccount, idempotencyWindowMs: provider.idempotencyWindowMs, notifications: provider.notifications };
}

function outcomeOf(error: unknown): ProviderCallOutcome {
  return isProviderError(error) ? error.kind : 'error';
}
