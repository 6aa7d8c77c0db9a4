import type { FaultKind, FaultSpec, PendingFault, SandboxMode, SandboxOperation } from './kaspi-sandbox.types';

const APPLIED_BY_DEFAULT: Record<FaultKind, boolean> = {
  latency: true,
  drop: true,
  empty: true,
  malformed: true,
  http5xx: false,
  unavailable: false,
};

/** What `*` stands for: the calls a payment goes through, not health checks or set-up. */
const WILDCARD_OPERATIONS: ReadonlySet<SandboxOperation> = new Set([
  'create',
  'qr-create',
  'qr-create-link',
  'status',
  'refund',
  'details',
  'cancel',
]);

/** Faults waiting to spoil upstream calls, consumed first in, first out by the calls they match. */
export class SandboxFaultQueue {
  private pending: PendingFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): PendingFault {
    const fault: PendingFault = {
      id: `fault-${this.nextId++}`,
      operation: spec.operation,
      mode: spec.mode ?? '*',
      fault: spec.fault,
      remaining: spec.count ?? 1,
      latencyMs: spec.latencyMs ?? 1000,
      httpStatus: spec.httpStatus ?? 503,
      body: spec.body ?? null,
      applied: spec.applied ?? APPLIED_BY_DEFAULT[spec.fault],
    };
    if (fault.remaining > 0) this.pending.push(fault);
    return { ...fault };
  }

  /** Takes one use of the oldest fault matching this call, if any. */
  take(operation: SandboxOperation, mode: SandboxMode): PendingFault | null {
    const index = this.pending.findIndex(
      (fault) =>
        (fault.operation === operation || (fault.operation === '*' && WILDCARD_OPERATIONS.has(operation))) &&
        (fault.mode === '*' || fault.mode === mode),
    );
    if (index < 0) return null;
    const fault = this.pending[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.pending.splice(index, 1);
    return { ...fault };
  }

  list(): PendingFault[] {
    return this.pending.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.pending = [];
  }
}
