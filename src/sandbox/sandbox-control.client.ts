import axios, { type AxiosInstance } from 'axios';
import type { Agent as HttpsAgent } from 'node:https';
import type {
  CustomerAction,
  FaultSpec,
  KaspiSandboxOptions,
  PendingFault,
  RegisterDeviceInput,
  ResolvedSandboxOptions,
  SandboxDeviceView,
  SandboxPaymentView,
  SandboxSnapshot,
  SeedPaymentsInput,
  SnapshotQuery,
} from './kaspi-sandbox.types';

export interface SandboxControlClientOptions {
  /** For a sandbox served over HTTPS: an agent that trusts its certificate. */
  httpsAgent?: HttpsAgent;
  /** Default 10000. */
  timeoutMs?: number;
  /** The sandbox's control token: phone numbers and device tokens come back whole rather than masked. */
  controlToken?: string;
}

/**
 * Drives a Kaspi sandbox running in another process through its `/_control` API.
 *
 * @example
 * const control = new SandboxControlClient('http://127.0.0.1:8016');
 * await control.injectFault({ operation: 'create', fault: 'drop' });
 * const { calls } = await control.state({ callsLimit: 1 });
 */
export class SandboxControlClient {
  private readonly http: AxiosInstance;

  /** @param baseUrl the sandbox's base URL, the one `/r3` and `/proxy` hang off. */
  constructor(baseUrl: string, options: SandboxControlClientOptions = {}) {
    this.http = axios.create({
      baseURL: `${baseUrl.replace(/\/+$/, '')}/_control`,
      timeout: options.timeoutMs ?? 10_000,
      httpsAgent: options.httpsAgent,
      headers: { 'Content-Type': 'application/json', ...(options.controlToken ? { Authorization: `Bearer ${options.controlToken}` } : {}) },
    });
  }

  async reset(): Promise<void> {
    await this.http.post('/reset', {});
  }

  async state(query: SnapshotQuery = {}): Promise<SandboxSnapshot> {
    return (await this.http.get<SandboxSnapshot>('/state', { params: query })).data;
  }

  async payments(): Promise<SandboxPaymentView[]> {
    return (await this.state({ callsLimit: 0 })).payments;
  }

  /** Null when the sandbox does not know the payment. */
  async payment(qrPaymentId: string): Promise<SandboxPaymentView | null> {
    const response = await this.http.get<{ payment: SandboxPaymentView }>(
      `/payments/${encodeURIComponent(qrPaymentId)}`,
      { validateStatus: (status) => status === 200 || status === 404 },
    );
    return response.status === 404 ? null : response.data.payment;
  }

  async injectFault(spec: FaultSpec): Promise<PendingFault> {
    return (await this.http.post<{ fault: PendingFault }>('/faults', spec)).data.fault;
  }

  async faults(): Promise<PendingFault[]> {
    return (await this.http.get<{ faults: PendingFault[] }>('/faults')).data.faults;
  }

  async clearFaults(): Promise<void> {
    await this.http.delete('/faults');
  }

  async configure(options: KaspiSandboxOptions): Promise<ResolvedSandboxOptions> {
    return (await this.http.post<{ options: ResolvedSandboxOptions }>('/config', options)).data.options;
  }

  async options(): Promise<ResolvedSandboxOptions> {
    return (await this.http.get<{ options: ResolvedSandboxOptions }>('/config')).data.options;
  }

  /** Sets any status word, e.g. `Processed`, `Error` or an unknown `RemotePaymentRejected`. */
  async forceStatus(qrPaymentId: string, status: string): Promise<SandboxPaymentView> {
    return (
      await this.http.post<{ payment: SandboxPaymentView }>(`/payments/${encodeURIComponent(qrPaymentId)}/status`, {
        status,
      })
    ).data.payment;
  }

  /** Creates `count` payments in one request; their QrPaymentIds, in order. */
  async seedPayments(input: SeedPaymentsInput): Promise<string[]> {
    return (await this.http.post<{ qrPaymentIds: string[] }>('/payments/seed', input)).data.qrPaymentIds;
  }

  /** Sets one status word on many payments; the ids the sandbox does not know come back in `notFound`. */
  async forceStatuses(qrPaymentIds: string[], status: string): Promise<{ updated: number; notFound: string[] }> {
    return (await this.http.post<{ updated: number; notFound: string[] }>('/payments/statuses', { qrPaymentIds, status })).data;
  }

  async registerDevice(input: RegisterDeviceInput): Promise<SandboxDeviceView> {
    return (await this.http.post<{ device: SandboxDeviceView }>('/devices', input)).data.device;
  }

  /** The customer opens the invoice: `Wait`. */
  scan(qrPaymentId: string): Promise<SandboxPaymentView> {
    return this.customer(qrPaymentId, 'scan');
  }

  /** The customer pays: `Processed`. */
  confirm(qrPaymentId: string): Promise<SandboxPaymentView> {
    return this.customer(qrPaymentId, 'confirm');
  }

  /** Opening the invoice fails: `Error`. */
  scanError(qrPaymentId: string): Promise<SandboxPaymentView> {
    return this.customer(qrPaymentId, 'scanerror');
  }

  /** Paying fails: `Error`. */
  confirmError(qrPaymentId: string): Promise<SandboxPaymentView> {
    return this.customer(qrPaymentId, 'confirmerror');
  }

  private async customer(qrPaymentId: string, action: CustomerAction): Promise<SandboxPaymentView> {
    return (
      await this.http.post<{ payment: SandboxPaymentView }>(`/payments/${encodeURIComponent(qrPaymentId)}/${action}`, {})
    ).data.payment;
  }
}
