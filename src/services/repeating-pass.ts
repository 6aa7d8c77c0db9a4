/**
 * Background work that runs in passes, one at a time: the outbox tail, the webhook dispatcher, the
 * reconciler. After each pass the next is due after the delay the pass asked for; a wake-up runs
 * one now, or right after the pass under way, so that no wake-up is lost while a pass runs. A pass
 * that fails is reported and the loop goes on after `afterFailureMs`. The timer never keeps the
 * process alive.
 */
export class RepeatingPass {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private wakeRequested = false;
  private running = false;

  /**
   * @param pass one pass; resolves to the delay in milliseconds until the next.
   * @param afterFailureMs the delay after a pass that failed.
   * @param reportFailure where a failed pass is told (the pass itself goes on being run).
   */
  constructor(
    private readonly pass: () => Promise<number>,
    private readonly afterFailureMs: () => number,
    private readonly reportFailure: (error: unknown) => void,
  ) {}

  /** Runs the first pass after `firstInMs`. */
  start(firstInMs: number): void {
    this.running = true;
    this.schedule(firstInMs);
  }

  /** Runs a pass now, or right after the one under way. */
  wake(): void {
    if (!this.running) return;
    if (this.current) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** Runs no further pass, and lets the one under way finish. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      let next = this.afterFailureMs();
      this.current = this.pass()
        .then((askedMs) => {
          next = askedMs;
        })
        .catch((error: unknown) => this.reportFailure(error))
        .finally(() => {
          this.current = null;
          if (!this.running) return;
          const woken = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(woken ? 0 : next);
        });
    }, delayMs);
    this.timer.unref();
  }
}
