import type {
  SandboxCallRecord,
  SandboxCounters,
  SandboxMode,
  SandboxOperation,
} from './kaspi-sandbox.types';

/**
 * The last `limit` upstream calls in a ring buffer, plus per-operation counters that are never
 * trimmed, so a benchmark with millions of calls keeps exact counts in bounded memory.
 */
export class SandboxCallLog {
  private ring: SandboxCallRecord[] = [];
  private start = 0;
  private nextSeq = 1;
  private counters: SandboxCounters = {};
  private countersByMode: Record<SandboxMode, SandboxCounters> = { direct: {}, proxy: {} };

  constructor(private limit: number) {}

  /** The record stays live: the caller fills in the outcome once it is known. */
  open(entry: Omit<SandboxCallRecord, 'seq'>): SandboxCallRecord {
    const record: SandboxCallRecord = { seq: this.nextSeq++, ...entry };
    this.count(record.operation, record.mode);
    if (this.limit <= 0) return record;
    if (this.ring.length < this.limit) {
      this.ring.push(record);
    } else {
      this.ring[this.start] = record;
      this.start = (this.start + 1) % this.limit;
    }
    return record;
  }

  /** Oldest first. */
  list(lastN?: number): SandboxCallRecord[] {
    return this.newest(lastN).map((record) => ({ ...record, params: { ...record.params } }));
  }

  counts(): { counters: SandboxCounters; countersByMode: Record<SandboxMode, SandboxCounters> } {
    return {
      counters: { ...this.counters },
      countersByMode: { direct: { ...this.countersByMode.direct }, proxy: { ...this.countersByMode.proxy } },
    };
  }

  /** Keeps the newest calls that still fit. */
  resize(limit: number): void {
    const kept = limit > 0 ? this.newest(limit) : [];
    this.limit = limit;
    this.ring = kept;
    this.start = 0;
  }

  clear(): void {
    this.ring = [];
    this.start = 0;
    this.counters = {};
    this.countersByMode = { direct: {}, proxy: {} };
  }

  private newest(lastN?: number): SandboxCallRecord[] {
    const ordered = this.start === 0 ? this.ring : [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
    return lastN === undefined ? ordered.slice() : ordered.slice(Math.max(0, ordered.length - lastN));
  }

  private count(operation: SandboxOperation, mode: SandboxMode): void {
    this.counters[operation] = (this.counters[operation] ?? 0) + 1;
    const byMode = this.countersByMode[mode];
    byMode[operation] = (byMode[operation] ?? 0) + 1;
  }
}
