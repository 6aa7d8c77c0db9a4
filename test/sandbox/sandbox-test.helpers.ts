import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { randomUUID } from 'node:crypto';
import { startKaspiSandbox, type StartKaspiSandboxOptions } from '../../src/sandbox/kaspi-sandbox.server';
import { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';

export const BIN = '123456789012';
export const OTHER_BIN = '987654321098';
export const PHONE = '77015211545';
export const ACCESS_TOKEN = 'sandbox-access-token';

export interface Envelope<T = Record<string, unknown>> {
  StatusCode: number;
  Message: string;
  Data: T | null;
}

export interface ProxyAnswer<T = Record<string, unknown>> {
  status: boolean;
  data?: T & { errors?: Record<string, string> };
  error?: string;
}

export type TestSandbox = Awaited<ReturnType<typeof startTestSandbox>>;

/** A sandbox on a free loopback port, with an HTTP client that never throws on a status code. */
export async function startTestSandbox(options: StartKaspiSandboxOptions = {}) {
  const running = await startKaspiSandbox({ port: 0, ...options });
  const http = axios.create({ baseURL: running.url, timeout: 5000, validateStatus: () => true });
  const raw = axios.create({
    baseURL: running.url,
    timeout: 5000,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: (body: unknown) => body,
  });
  const control = new SandboxControlClient(running.url, { controlToken: running.sandbox.controlToken });
  return { ...running, http, raw, control, r3: r3Calls(http), proxy: proxyCalls(http) };
}

export function requestHeaders(requestId: string = randomUUID()): Record<string, string> {
  return { 'X-Request-ID': requestId };
}

export interface CreateBody {
  OrganizationBin?: unknown;
  Amount?: unknown;
  PhoneNumber?: unknown;
  DeviceToken?: unknown;
  Comment?: unknown;
}

export function r3Calls(http: AxiosInstance) {
  return {
    create: (body: CreateBody, requestId?: string): Promise<AxiosResponse<Envelope<{ QrPaymentId: number }>>> =>
      http.post('/r3/v01/remote/create', body, { headers: requestHeaders(requestId) }),
    status: (qrPaymentId: string): Promise<AxiosResponse<Envelope<{ Status: string; Amount?: number }>>> =>
      http.get(`/r3/v02/payment/status/${qrPaymentId}`, { headers: requestHeaders() }),
    refund: (body: Record<string, unknown>): Promise<AxiosResponse<Envelope<{ ReturnOperationId: number }>>> =>
      http.post('/r3/v01/payment/return', body, { headers: requestHeaders() }),
    details: (
      qrPaymentId: string,
      deviceToken: string,
    ): Promise<
      AxiosResponse<Envelope<{ QrPaymentId: number; TotalAmount: number; AvailableReturnAmount: number; TransactionDate: string }>>
    > =>
      http.get('/r3/v01/payment/details', {
        params: { QrPaymentId: qrPaymentId, DeviceToken: deviceToken },
        headers: requestHeaders(),
      }),
    cancel: (body: Record<string, unknown>): Promise<AxiosResponse<Envelope<{ Status: string }>>> =>
      http.post('/r3/v01/remote/cancel', body, { headers: requestHeaders() }),
    test: (action: string, qrPaymentId: unknown): Promise<AxiosResponse<Envelope<{ Status: string }>>> =>
      http.post(`/r3/v01/test/payment/${action}`, { qrPaymentId }, { headers: requestHeaders() }),
  };
}

export function proxyCalls(http: AxiosInstance) {
  return {
    create: (params: Record<string, unknown>): Promise<AxiosResponse<ProxyAnswer<{ externalId: number | string; status: string }>>> =>
      http.get('/proxy/create/', { params: { access_token: ACCESS_TOKEN, ...params } }),
    status: (params: Record<string, unknown>): Promise<AxiosResponse<ProxyAnswer<{ externalId: number | string; status: string }>>> =>
      http.get('/proxy/status/', { params: { access_token: ACCESS_TOKEN, ...params } }),
    refund: (params: Record<string, unknown>): Promise<AxiosResponse<ProxyAnswer<{ returnOperationId: number }>>> =>
      http.get('/proxy/refund/', { params: { access_token: ACCESS_TOKEN, ...params } }),
  };
}

export function createBody(deviceToken: string, overrides: CreateBody = {}): CreateBody {
  return { OrganizationBin: BIN, Amount: 100, PhoneNumber: PHONE, DeviceToken: deviceToken, Comment: 'Order 42', ...overrides };
}

/** Creates a remote payment over r3 and returns its id as a string. */
export async function createPaid(sandbox: TestSandbox, deviceToken: string, amount = 100): Promise<string> {
  const response = await sandbox.r3.create(createBody(deviceToken, { Amount: amount }));
  if (response.data.StatusCode !== 0 || !response.data.Data) {
    throw new Error(`create failed: ${JSON.stringify(response.data)}`);
  }
  const qrPaymentId = String(response.data.Data.QrPaymentId);
  await sandbox.control.confirm(qrPaymentId);
  return qrPaymentId;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
