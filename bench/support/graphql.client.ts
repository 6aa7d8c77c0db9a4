export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
export const SERVICE_KEY = 'bench-service-key-0123456789abcdef';

/** The shop every scenario pays into. */
export const SHOP = {
  shopId: 1,
  organizationBin: '891027350515',
  deviceToken: '6b1e3f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
} as const;

export const PHONE = '77015211545';

export const CREATE_PAYMENT = `mutation Create($input: CreateKaspiPaymentInput!) {
  createKaspiPayment(input: $input) {
    payment { id externalId status amount createdAt }
    errors { code message }
  }
}`;

export const PAYMENT_STATUS = `query Status($externalId: String!) {
  paymentStatus(externalId: $externalId) {
    id externalId status providerStatus amount refundedAmount refundableAmount updatedAt
    refunds { id amount status }
  }
}`;

export const STATUS_CHANGED = `subscription Changed($externalId: String!) {
  paymentStatusChanged(externalId: $externalId) {
    status previousStatus changedAt
    payment { externalId status }
  }
}`;

export const CREATE_CONFIG = `mutation Config($input: CreateConfigInput!) {
  createConfig(input: $input) { config { shopId } errors { code message } }
}`;

export interface GqlAnswer<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** One GraphQL request over HTTP; throws on a transport error or a GraphQL error. */
export async function gql<T>(graphqlUrl: string, query: string, variables: Record<string, unknown>, key = SERVICE_KEY): Promise<T> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as GqlAnswer<T>;
  if (!response.ok || answer.errors?.length || !answer.data) {
    throw new Error(`GraphQL request failed (HTTP ${response.status}): ${JSON.stringify(answer.errors ?? answer)}`);
  }
  return answer.data;
}

export function createPaymentBody(idempotencyKey: string): string {
  return JSON.stringify({
    query: CREATE_PAYMENT,
    variables: { input: { shopId: SHOP.shopId, amount: 1500, phone: PHONE, message: 'Order', idempotencyKey } },
  });
}

export interface CreatedPayment {
  id: string;
  externalId: string;
  status: string;
}

export async function createPayment(graphqlUrl: string, idempotencyKey: string): Promise<CreatedPayment> {
  const data = await gql<{ createKaspiPayment: { payment: CreatedPayment | null; errors: unknown[] } }>(
    graphqlUrl,
    CREATE_PAYMENT,
    { input: { shopId: SHOP.shopId, amount: 1500, phone: PHONE, message: 'Order', idempotencyKey } },
  );
  const { payment, errors } = data.createKaspiPayment;
  if (!payment || errors.length > 0) throw new Error(`createKaspiPayment failed: ${JSON.stringify(errors)}`);
  return payment;
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(workers);
}
