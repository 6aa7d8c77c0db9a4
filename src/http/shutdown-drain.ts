import type express from 'express';
import type http from 'node:http';
import net from 'node:net';

/** After the work in flight is done, how long answers still being written get before their connections are cut. */
export const IDLE_CLOSE_GRACE_MS = 1_000;

/**
 * The HTTP side's wind-down: once begun, new requests are turned away, the port closes, and the
 * requests being worked on are let finish before their connections are closed.
 */
export class ShutdownDrain {
  private begun = false;
  private readonly inFlight = new InFlightRequests();

  get closing(): boolean {
    return this.begun;
  }

  /**
   * A request that reaches a kept-alive connection once the drain has begun may find the
   * connection already half-closed, so that no answer could reach its caller: it is turned away
   * untouched, and the caller may safely send it again elsewhere.
   */
  turnAwayWhenClosing(): express.RequestHandler {
    return (_req, res, next) => {
      if (this.begun) {
        res.setHeader('Connection', 'close');
        res.setHeader('Retry-After', '1');
        res.status(503).json({ errors: [{ message: 'The gateway is shutting down; send the request again', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
        return;
      }
      next();
    };
  }

  /** `handler`, counted while it works, so that the drain waits for it. */
  track(handler: express.RequestHandler): express.RequestHandler {
    return this.inFlight.around(handler);
  }

  begin(): void {
    this.begun = true;
  }

  /**
   * Lets the HTTP side wind down without cutting a request off. The port closes at once (new
   * connections are refused), but connections kept alive stay open, so that a request already on its
   * way over one gets a whole answer (the 503 above) rather than a reset; requests being worked on
   * finish; only then are idle connections closed, and anything still open after the deadline cut.
   */
  async drain(server: http.Server, timeoutMs: number): Promise<void> {
    // http.Server#close would also drop idle kept-alive connections at once; net.Server#close only stops listening.
    const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
    await this.inFlight.settled(timeoutMs);
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), IDLE_CLOSE_GRACE_MS);
    await closed;
    clearTimeout(cut);
  }
}

/**
 * Requests being worked on, so that shutdown waits for their work to end even where the caller's
 * connection is already gone (the drain only waits for connections).
 */
class InFlightRequests {
  private count = 0;
  private readonly waiters: Array<() => void> = [];

  around(handler: express.RequestHandler): express.RequestHandler {
    return async (req, res, next) => {
      this.count += 1;
      try {
        await handler(req, res, next);
      } finally {
        this.count -= 1;
        if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
      }
    };
  }

  settled(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
