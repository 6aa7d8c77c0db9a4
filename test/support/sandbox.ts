import { SANDBOX_PATH } from '../../src/app';
import { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_CONFIG } from './documents';
import { startTestGateway, type TestGateway } from './gateway';

/** A shop as `createConfig` takes it. */
export interface ShopRoute {
  shopId: number;
  organizationBin: string;
  deviceToken?: string | null;
  isActive?: boolean;
  provider?: string;
  description?: string;
  cloudPayments?: { publicId: string; apiSecret: string };
}

/** The control API of a test gateway's own Kaspi sandbox, with its control token: faults, the customer's side, state. */
export function sandboxOf(gw: TestGateway): SandboxControlClient {
  return new SandboxControlClient(`${gw.url}${SANDBOX_PATH}`, { controlToken: gw.gateway.sandbox!.controlToken });
}

/** Routes a shop through the public API; a refusal fails the test at once rather than in a later step. */
export async function routeShop(gw: TestGateway, shop: ShopRoute): Promise<void> {
  const created = await gw.gql(CREATE_CONFIG, { input: shop });
  const errors = created.errors ?? created.data?.createConfig.errors;
  if (!created.data?.createConfig.config || errors.length > 0) throw new Error(`could not route shop ${shop.shopId}: ${JSON.stringify(errors)}`);
}

/** A test gateway with its sandbox's control client and the given shops routed. */
export async function startSandboxedGateway(shops: ShopRoute[], env: Record<string, string> = {}): Promise<{ gw: TestGateway; sandbox: SandboxControlClient }> {
  const gw = await startTestGateway(env);
  try {
    for (const shop of shops) await routeShop(gw, shop);
  } catch (error) {
    await gw.stop();
    throw error;
  }
  return { gw, sandbox: sandboxOf(gw) };
}
