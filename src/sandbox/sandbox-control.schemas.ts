import { z } from 'zod';

const MAX_DELAY_MS = 10 * 60 * 1000;

export const sandboxOptionsSchema = z.strictObject({
  autoAdvanceMs: z.number().int().min(0).max(7 * 24 * 60 * 60 * 1000).optional(),
  autoEnrolDevices: z.boolean().optional(),
  proxyAccessToken: z.string().min(1).max(1024).optional(),
  latencyMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
  callLogLimit: z.number().int().min(0).max(1_000_000).optional(),
  requireClientCertificate: z.boolean().optional(),
  proxyExternalIdType: z.enum(['number', 'string']).optional(),
  qrOpenTimeoutSec: z.number().int().min(1).max(24 * 60 * 60).optional(),
  qrPollingIntervalSec: z.number().int().min(1).max(60 * 60).optional(),
  qrConfirmationTimeoutSec: z.number().int().min(1).max(24 * 60 * 60).optional(),
});

export const faultSpecSchema = z.strictObject({
  operation: z.enum(['create', 'qr-create', 'qr-create-link', 'status', 'refund', 'details', 'cancel', 'ping', '*']),
  mode: z.enum(['direct', 'proxy', '*']).optional(),
  fault: z.enum(['latency', 'http5xx', 'unavailable', 'drop', 'empty', 'malformed']),
  count: z.number().int().min(1).max(1_000_000).optional(),
  latencyMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
  httpStatus: z.number().int().min(400).max(599).optional(),
  body: z.string().max(1_000_000).optional(),
  applied: z.boolean().optional(),
});

export const faultSpecListSchema = z.array(faultSpecSchema).max(1000);

export const forceStatusSchema = z.strictObject({
  status: z.string().min(1).max(100),
});

export const registerDeviceSchema = z.strictObject({
  organizationBin: z.string().regex(/^\d{12}$/, 'must be a 12-digit BIN'),
  tradePointId: z.number().int().positive().optional(),
  deviceToken: z.uuid().optional(),
  deviceId: z.string().min(1).max(128).optional(),
});

export const seedPaymentsSchema = z.strictObject({
  count: z.number().int().min(1).max(200_000),
  organizationBin: z.string().regex(/^\d{12}$/, 'must be a 12-digit BIN'),
  deviceToken: z.uuid(),
  amount: z.number().positive().max(100_000_000),
  phone: z.string().regex(/^7\d{10}$/, 'must be 7XXXXXXXXXX'),
  mode: z.enum(['direct', 'proxy']).optional(),
  ageMs: z.number().int().min(0).max(30 * 24 * 60 * 60 * 1000).optional(),
});

export const forceStatusesSchema = z.strictObject({
  qrPaymentIds: z.array(z.string().regex(/^\d{1,30}$/)).min(1).max(200_000),
  status: z.string().min(1).max(100),
});

const limitSchema = z.coerce.number().int().min(0);

export const snapshotQuerySchema = z.object({
  qrPaymentId: z.string().regex(/^\d{1,30}$/).optional(),
  paymentsLimit: limitSchema.optional(),
  callsLimit: limitSchema.optional(),
});

/** A control request the sandbox cannot carry out; `httpStatus` is what the control API answers. */
export class SandboxControlError extends Error {
  constructor(
    message: string,
    readonly httpStatus: 400 | 404 | 409,
  ) {
    super(message);
    this.name = 'SandboxControlError';
  }
}

/** Parses with a schema and turns a failure into a 400 that names the fields. */
export function parseControlInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new SandboxControlError(z.prettifyError(result.error), 400);
  return result.data;
}
