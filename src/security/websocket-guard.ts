import { GraphQLError } from 'graphql';

/** Standard WebSocket close code for a connection refused by policy (RFC 6455 §7.4.1). */
export const POLICY_VIOLATION = 1008;

export interface WebSocketGuardSettings {
  corsOrigins: readonly string[];
  isProduction: boolean;
  maxConnectionsPerKey: number;
  maxSubscriptionsPerConnection: number;
}

/** One graphql-ws connection as the guard sees it: who holds it and which operations run on it. */
export interface GuardedConnection {
  holder: string;
  operations: Set<string>;
}

/**
 * The WebSocket side of the abuse limits: which browser origins may open a connection (the check
 * that stops cross-site WebSocket hijacking, since browsers send no CORS preflight for an upgrade),
 * how many connections one API key may hold, and how many operations one connection may run.
 */
export class WebSocketGuard {
  private readonly byHolder = new Map<string, number>();
  private readonly connections = new Set<GuardedConnection>();

  constructor(private readonly settings: WebSocketGuardSettings) {}

  /**
   * Same rule as CORS over HTTP: the listed origins, or any origin outside production when none is
   * listed. A client that sends no Origin is not a browser and cannot be hijacked this way.
   */
  originAllowed(origin: string | undefined, host?: string): boolean {
    if (!origin) return true;
    // The admin console, served by the gateway itself at /admin, is always let in.
    if (host && sameHost(origin, host)) return true;
    if (this.settings.corsOrigins.length > 0) return this.settings.corsOrigins.includes(origin);
    return !this.settings.isProduction;
  }

  /** Registers a connection for `holder` (an API key's caller id, or the address of an anonymous client); null when it holds too many. */
  open(holder: string): GuardedConnection | null {
    const held = this.byHolder.get(holder) ?? 0;
    if (held >= this.settings.maxConnectionsPerKey) return null;
    this.byHolder.set(holder, held + 1);
    const connection: GuardedConnection = { holder, operations: new Set() };
    this.connections.add(connection);
    return connection;
  }

  close(connection: GuardedConnection): void {
    if (!this.connections.delete(connection)) return;
    const held = (this.byHolder.get(connection.holder) ?? 1) - 1;
    if (held > 0) this.byHolder.set(connection.holder, held);
    else this.byHolder.delete(connection.holder);
  }

  /** Starts operation `id` on `connection`, or answers why it may not. */
  startOperation(connection: GuardedConnection, id: string): GraphQLError | null {
    if (connection.operations.size >= this.settings.maxSubscriptionsPerConnection) {
      return new GraphQLError('Too many operations open on this connection; complete one first or open another connection', {
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
      });
    }
    connection.operations.add(id);
    return null;
  }

  endOperation(connection: GuardedConnection, id: string): boolean {
    return connection.operations.delete(id);
  }

  counts(): { connections: number; subscriptions: number } {
    let subscriptions = 0;
    for (const connection of this.connections) subscriptions += connection.operations.size;
    return { connections: this.connections.size, subscriptions };
  }
}

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
