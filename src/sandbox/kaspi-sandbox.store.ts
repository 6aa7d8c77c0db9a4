import { randomInt, randomUUID } from 'node:crypto';
import { tiynToTenge, type Tiyn } from '../domain/money';
import { accept, refuse, type Checked } from './kaspi-request.parsers';
import type {
  CustomerAction,
  ResolvedSandboxOptions,
  SandboxDeviceView,
  SandboxMode,
  SandboxPaymentKind,
  SandboxPaymentView,
} from './kaspi-sandbox.types';
import { KaspiStatusCode } from './kaspi-status-codes';

export const RemoteStatus = {
  QR_CREATED: 'QrTokenCreated',
  CREATED: 'RemotePaymentCreated',
  WAIT: 'Wait',
  PROCESSED: 'Processed',
  ERROR: 'Error',
  CANCELED: 'RemotePaymentCanceled',
} as const;

const FINAL_STATUSES: ReadonlySet<string> = new Set([
  RemoteStatus.PROCESSED,
  RemoteStatus.ERROR,
  RemoteStatus.CANCELED,
]);

const STATUS_AFTER_ACTION: Record<CustomerAction, string> = {
  scan: RemoteStatus.WAIT,
  confirm: RemoteStatus.PROCESSED,
  scanerror: RemoteStatus.ERROR,
  confirmerror: RemoteStatus.ERROR,
};

export interface TradePoint {
  TradePointId: number;
  TradePointName: string;
}

const TRADE_POINT_IDS = [1, 2];

export function tradePointName(tradePointId: number): string {
  return `Sandbox store ${tradePointId}`;
}

interface DeviceRecord {
  deviceToken: string;
  organizationBin: string;
  tradePointId: number;
  deviceId: string | null;
  enrolledOnFirstUse: boolean;
}

interface RefundRecord {
  returnOperationId: string;
  amount: Tiyn;
  at: number;
}

interface PaymentRecord {
  qrPaymentId: string;
  mode: SandboxMode;
  kind: SandboxPaymentKind;
  organizationBin: string;
  deviceToken: string;
  tradePointId: number;
  amount: Tiyn;
  phone: string | null;
  comment: string | null;
  externalId: string | null;
  createdAt: number;
  /** When a QR code or link stops being accepted (`ExpireDate`); null for remote payments. */
  expiresAt: number | null;
  /** Captured at creation, so that reconfiguring the sandbox never rewrites a payment's past. */
  autoAdvanceMs: number;
  /** Set by a test call or a forced status; from then on the payment no longer advances by itself. */
  settled: { status: string; at: number } | null;
  refunds: RefundRecord[];
  refundedAmount: Tiyn;
}

export interface PaymentStatusView {
  payment: PaymentRecord;
  status: string;
  since: number;
}

export interface CreateRemotePaymentInput {
  mode: SandboxMode;
  organizationBin: string;
  deviceToken: string;
  amount: Tiyn;
  phone: string;
  comment: string | null;
}

export interface CreateQrPaymentInput {
  mode: SandboxMode;
  kind: 'qr' | 'link';
  organizationBin: string;
  deviceToken: string;
  amount: Tiyn;
  externalId: string | null;
}

export interface PaymentOperationInput {
  organizationBin: string;
  deviceToken: string;
  qrPaymentId: string;
}

export interface RegisterDeviceRequest {
  organizationBin: string;
  tradePointId: number;
  deviceId: string | null;
  deviceToken?: string;
}

/**
 * The emulated Kaspi back office: devices, remote payments and their refunds. Statuses are computed
 * from timestamps when asked for, so 100,000 payments cost no timers.
 */
export class KaspiSandboxStore {
  private readonly payments = new Map<string, PaymentRecord>();
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly registrations = new Map<string, string>();
  // Ids keep increasing across resets, so a gateway database that outlives a reset never sees an
  // old external id come back for a different payment.
  private nextQrPaymentId = 12_800_000_000 + randomInt(0, 1_000_000_000);
  private nextReturnOperationId = 3_100_000_000 + randomInt(0, 1_000_000_000);

  constructor(private readonly options: () => ResolvedSandboxOptions) {}

  reset(): void {
    this.payments.clear();
    this.devices.clear();
    this.registrations.clear();
  }

  get paymentCount(): number {
    return this.payments.size;
  }

  /** Every well-formed BIN has the same two trade points in the sandbox. */
  tradePoints(_organizationBin: string): TradePoint[] {
    return TRADE_POINT_IDS.map((id) => ({ TradePointId: id, TradePointName: tradePointName(id) }));
  }

  registerDevice(request: RegisterDeviceRequest): Checked<DeviceRecord> {
    const tradePoint = this.tradePoints(request.organizationBin).find(
      (candidate) => candidate.TradePointId === request.tradePointId,
    );
    if (!tradePoint) return refuse(KaspiStatusCode.TRADE_POINT_NOT_FOUND, 'Trade point not found');

    const registrationKey = request.deviceId === null ? null : `${request.organizationBin}:${request.deviceId}`;
    const registeredToken = registrationKey === null ? undefined : this.registrations.get(registrationKey);
    if (registeredToken !== undefined) {
      const registered = this.devices.get(registeredToken);
      if (registered && registered.tradePointId !== request.tradePointId) {
        return refuse(KaspiStatusCode.DEVICE_ALREADY_BOUND, 'Device is already bound to another trade point');
      }
      if (registered) return accept(registered);
    }

    const deviceToken = (request.deviceToken ?? randomUUID()).toLowerCase();
    const existing = this.devices.get(deviceToken);
    if (existing && existing.organizationBin !== request.organizationBin) {
      return refuse(KaspiStatusCode.DEVICE_ALREADY_BOUND, 'Device is already bound to another organization');
    }
    const device: DeviceRecord = {
      deviceToken,
      organizationBin: request.organizationBin,
      tradePointId: request.tradePointId,
      deviceId: request.deviceId,
      enrolledOnFirstUse: false,
    };
    this.devices.set(deviceToken, device);
    if (registrationKey !== null) this.registrations.set(registrationKey, deviceToken);
    return accept(device);
  }

  createRemotePayment(input: CreateRemotePaymentInput, now: number): Checked<PaymentRecord> {
    return this.addOnDevice({
      mode: input.mode,
      kind: 'remote',
      organizationBin: input.organizationBin,
      deviceToken: input.deviceToken,
      amount: input.amount,
      phone: input.phone,
      comment: input.comment,
      externalId: null,
      createdAt: now,
      expiresAt: null,
      autoAdvanceMs: this.options().autoAdvanceMs,
    });
  }

  /**
   * `qr/create` and `qr/create-link`: a payment that waits for a customer to open it until its
   * `ExpireDate`. It never pays itself: a tester plays the customer (the test calls, or the page).
   */
  createQrPayment(input: CreateQrPaymentInput, now: number): Checked<PaymentRecord> {
    return this.addOnDevice({
      mode: input.mode,
      kind: input.kind,
      organizationBin: input.organizationBin,
      deviceToken: input.deviceToken,
      amount: input.amount,
      phone: null,
      comment: null,
      externalId: input.externalId,
      createdAt: now,
      expiresAt: now + this.options().qrOpenTimeoutSec * 1000,
      autoAdvanceMs: 0,
    });
  }

  /**
   * A new payment on the device the BIN and token name: a token Kaspi has not seen is enrolled
   * (when auto-enrolment is on), one bound to another BIN is refused before anything is added.
   */
  private addOnDevice(
    fields: Omit<PaymentRecord, 'qrPaymentId' | 'settled' | 'refunds' | 'refundedAmount' | 'tradePointId'>,
  ): Checked<PaymentRecord> {
    const device = this.deviceFor(fields.organizationBin, fields.deviceToken);
    if (!device.ok) return device;
    const bound = device.value ?? this.enrol(fields.organizationBin, fields.deviceToken);
    return accept(this.add({ ...fields, tradePointId: bound.tradePointId }));
  }

  private add(fields: Omit<PaymentRecord, 'qrPaymentId' | 'settled' | 'refunds' | 'refundedAmount'>): PaymentRecord {
    // Written out rather than spread: one shape for every record keeps 100,000 of them fast.
    const payment: PaymentRecord = {
      qrPaymentId: String(this.nextQrPaymentId++),
      mode: fields.mode,
      kind: fields.kind,
      organizationBin: fields.organizationBin,
      deviceToken: fields.deviceToken,
      tradePointId: fields.tradePointId,
      amount: fields.amount,
      phone: fields.phone,
      comment: fields.comment,
      externalId: fields.externalId,
      createdAt: fields.createdAt,
      expiresAt: fields.expiresAt,
      autoAdvanceMs: fields.autoAdvanceMs,
      settled: null,
      refunds: [],
      refundedAmount: 0,
    };
    this.payments.set(payment.qrPaymentId, payment);
    return payment;
  }

  /** `count` payments as `createRemotePayment` makes them, all created at `createdAt`; their ids in order. */
  seedPayments(input: CreateRemotePaymentInput, count: number, createdAt: number): Checked<string[]> {
    const qrPaymentIds: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const created = this.createRemotePayment(input, createdAt);
      if (!created.ok) return created;
      qrPaymentIds.push(created.value.qrPaymentId);
    }
    return accept(qrPaymentIds);
  }

  status(qrPaymentId: string, now: number): Checked<PaymentStatusView> {
    const payment = this.payments.get(qrPaymentId);
    if (!payment) return refuse(KaspiStatusCode.PURCHASE_NOT_FOUND, 'Purchase not found');
    return accept({ payment, ...this.statusOf(payment, now) });
  }

  refund(input: PaymentOperationInput & { amount: Tiyn }, now: number): Checked<RefundRecord> {
    const found = this.ownedPayment(input, now);
    if (!found.ok) return found;
    const { payment, status } = found.value;
    if (status !== RemoteStatus.PROCESSED) {
      return refuse(
        KaspiStatusCode.STATUS_NOT_REFUNDABLE,
        `Purchase in status ${status} cannot be refunded`,
      );
    }
    if (input.amount > payment.amount - payment.refundedAmount) {
      return refuse(KaspiStatusCode.REFUND_EXCEEDS_AVAILABLE, 'Refund amount exceeds the amount available to refund');
    }
    const refund: RefundRecord = {
      returnOperationId: String(this.nextReturnOperationId++),
      amount: input.amount,
      at: now,
    };
    payment.refunds.push(refund);
    payment.refundedAmount += input.amount;
    return accept(refund);
  }

  /** Details need no BIN: Kaspi identifies the trade point by the device token alone. */
  details(
    input: { qrPaymentId: string; deviceToken: string },
    now: number,
  ): Checked<PaymentStatusView & { available: Tiyn }> {
    const device = this.devices.get(input.deviceToken);
    if (!device && !this.options().autoEnrolDevices) {
      return refuse(KaspiStatusCode.DEVICE_NOT_FOUND, 'Device not found');
    }
    const payment = this.payments.get(input.qrPaymentId);
    if (!payment) return refuse(KaspiStatusCode.PURCHASE_NOT_FOUND, 'Purchase not found');
    if (payment.deviceToken !== input.deviceToken) {
      return refuse(KaspiStatusCode.TRADE_POINT_MISMATCH, 'The purchase does not belong to this device');
    }
    const current = this.statusOf(payment, now);
    const available = current.status === RemoteStatus.PROCESSED ? payment.amount - payment.refundedAmount : 0;
    return accept({ payment, ...current, available });
  }

  cancel(input: PaymentOperationInput, now: number): Checked<PaymentStatusView> {
    const found = this.ownedPayment(input, now);
    if (!found.ok) return found;
    const { payment, status } = found.value;
    if (FINAL_STATUSES.has(status)) {
      return refuse(KaspiStatusCode.STATUS_NOT_REFUNDABLE, `Purchase in status ${status} cannot be cancelled`);
    }
    payment.settled = { status: RemoteStatus.CANCELED, at: now };
    return accept({ payment, status: RemoteStatus.CANCELED, since: now });
  }

  /** Kaspi's test calls: what the customer does in the app. A final payment stays as it is. */
  customerAction(qrPaymentId: string, action: CustomerAction, now: number): Checked<PaymentStatusView> {
    const payment = this.payments.get(qrPaymentId);
    if (!payment) return refuse(KaspiStatusCode.PURCHASE_NOT_FOUND, 'Purchase not found');
    const current = this.statusOf(payment, now);
    if (FINAL_STATUSES.has(current.status)) {
      return refuse(KaspiStatusCode.STATUS_NOT_REFUNDABLE, `Purchase is already in final status ${current.status}`);
    }
    // An unopened QR code or link cannot be opened after its ExpireDate; one opened in time may still be confirmed.
    if (current.status === RemoteStatus.QR_CREATED && payment.expiresAt !== null && now >= payment.expiresAt) {
      return refuse(KaspiStatusCode.QR_EXPIRED, 'The QR code or link has expired');
    }
    const status = STATUS_AFTER_ACTION[action];
    payment.settled = { status, at: now };
    return accept({ payment, status, since: now });
  }

  /** Sets any status word, final or not, known or not; auto-advance stops for the payment. */
  forceStatus(qrPaymentId: string, status: string, now: number): PaymentRecord | null {
    const payment = this.payments.get(qrPaymentId);
    if (!payment) return null;
    payment.settled = { status, at: now };
    return payment;
  }

  find(qrPaymentId: string): PaymentRecord | null {
    return this.payments.get(qrPaymentId) ?? null;
  }

  /** Most recently created last. */
  listPayments(limit?: number): PaymentRecord[] {
    const all = [...this.payments.values()];
    return limit === undefined ? all : all.slice(Math.max(0, all.length - limit));
  }

  listDevices(): SandboxDeviceView[] {
    return [...this.devices.values()].map((device) => ({ ...device }));
  }

  statusOf(payment: PaymentRecord, now: number): { status: string; since: number } {
    if (payment.settled) return { status: payment.settled.status, since: payment.settled.at };
    const { autoAdvanceMs, createdAt } = payment;
    if (autoAdvanceMs > 0) {
      if (now - createdAt >= autoAdvanceMs) {
        return { status: RemoteStatus.PROCESSED, since: createdAt + autoAdvanceMs };
      }
      const waitAfter = Math.floor(autoAdvanceMs / 2);
      if (now - createdAt >= waitAfter) return { status: RemoteStatus.WAIT, since: createdAt + waitAfter };
    }
    return { status: payment.kind === 'remote' ? RemoteStatus.CREATED : RemoteStatus.QR_CREATED, since: createdAt };
  }

  view(payment: PaymentRecord, now: number): SandboxPaymentView {
    return {
      qrPaymentId: payment.qrPaymentId,
      mode: payment.mode,
      kind: payment.kind,
      organizationBin: payment.organizationBin,
      deviceToken: payment.deviceToken,
      amount: tiynToTenge(payment.amount),
      phone: payment.phone,
      comment: payment.comment,
      externalId: payment.externalId,
      status: this.statusOf(payment, now).status,
      createdAt: new Date(payment.createdAt).toISOString(),
      expiresAt: payment.expiresAt === null ? null : new Date(payment.expiresAt).toISOString(),
      refunds: payment.refunds.map((refund) => ({
        returnOperationId: refund.returnOperationId,
        amount: tiynToTenge(refund.amount),
        createdAt: new Date(refund.at).toISOString(),
      })),
      refundedAmount: tiynToTenge(payment.refundedAmount),
    };
  }

  /**
   * Kaspi looks a device up by token within the BIN: a token bound elsewhere is simply not found.
   * Null means an unknown token that auto-enrolment may still bind.
   */
  private deviceFor(organizationBin: string, deviceToken: string): Checked<DeviceRecord | null> {
    const device = this.devices.get(deviceToken);
    if (device && device.organizationBin !== organizationBin) {
      return refuse(KaspiStatusCode.DEVICE_NOT_FOUND, 'Device not found');
    }
    if (!device && !this.options().autoEnrolDevices) {
      return refuse(KaspiStatusCode.DEVICE_NOT_FOUND, 'Device not found');
    }
    return accept(device ?? null);
  }

  private enrol(organizationBin: string, deviceToken: string): DeviceRecord {
    const device: DeviceRecord = {
      deviceToken,
      organizationBin,
      tradePointId: this.tradePoints(organizationBin)[0].TradePointId,
      deviceId: null,
      enrolledOnFirstUse: true,
    };
    this.devices.set(deviceToken, device);
    return device;
  }

  /** The checks refund and cancel share: a valid device, an existing payment, and the same pair. */
  private ownedPayment(input: PaymentOperationInput, now: number): Checked<PaymentStatusView> {
    const device = this.deviceFor(input.organizationBin, input.deviceToken);
    if (!device.ok) return device;
    const payment = this.payments.get(input.qrPaymentId);
    if (!payment) return refuse(KaspiStatusCode.PURCHASE_NOT_FOUND, 'Purchase not found');
    if (payment.organizationBin !== input.organizationBin || payment.deviceToken !== input.deviceToken) {
      return refuse(KaspiStatusCode.TRADE_POINT_MISMATCH, "The purchase's trade point does not match this device");
    }
    return accept({ payment, ...this.statusOf(payment, now) });
  }
}

export type { PaymentRecord, DeviceRecord, RefundRecord };
