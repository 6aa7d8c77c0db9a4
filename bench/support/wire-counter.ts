import net from 'node:net';

/** What the gateway sent PostgreSQL, counted from the frontend side of the wire protocol. */
export interface WireCounts {
  /** Statements executed: simple queries plus extended-protocol Executes. */
  statements: number;
  /** Waits for the server: simple queries plus Syncs, each answered before the client goes on. */
  roundTrips: number;
  begins: number;
  commits: number;
  rollbacks: number;
  /** Statement texts by how often they ran (BEGIN/COMMIT included), for the report. */
  texts: Map<string, number>;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

/**
 * A loopback TCP relay between the gateway and PostgreSQL that reads the client's side of the wire
 * protocol and counts statements, round trips and transactions. Counts, unlike rates, do not
 * depend on how busy the machine is: they say how many times a request waits on the database.
 */
export class PostgresWireCounter {
  private readonly counts: WireCounts = { statements: 0, roundTrips: 0, begins: 0, commits: 0, rollbacks: 0, texts: new Map() };
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<PostgresWireCounter> {
    let counter!: PostgresWireCounter;
    const server = net.createServer((client) => counter.relay(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    counter = new PostgresWireCounter(server, (server.address() as net.AddressInfo).port);
    return counter;
  }

  /** The counts so far (a copy). */
  snapshot(): WireCounts {
    return { ...this.counts, texts: new Map(this.counts.texts) };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: net.Socket, target: { host: string; port: number }): void {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    const parser = new FrontendParser((type, body) => this.count(type, body, statementsByName, portal));
    const statementsByName = new Map<string, string>();
    const portal = { text: '' };
    client.on('data', (chunk: Buffer) => parser.push(chunk));
  }

  private count(type: string, body: Buffer, statementsByName: Map<string, string>, portal: { text: string }): void {
    switch (type) {
      case 'Q': {
        const text = cString(body, 0).value;
        this.counts.statements += 1;
        this.counts.roundTrips += 1;
        this.classify(text);
        break;
      }
      case 'P': {
        const name = cString(body, 0);
        statementsByName.set(name.value, cString(body, name.next).value);
        break;
      }
      case 'B': {
        const portalName = cString(body, 0);
        portal.text = statementsByName.get(cString(body, portalName.next).value) ?? '';
        break;
      }
      case 'E':
        this.counts.statements += 1;
        this.classify(portal.text);
        break;
      case 'S':
        this.counts.roundTrips += 1;
        break;
      default:
        break;
    }
  }

  private classify(text: string): void {
    const normalised = text.replace(/\s+/g, ' ').trim();
    if (/^(begin|start transaction)\b/i.test(normalised)) this.counts.begins += 1;
    else if (/^commit\b/i.test(normalised)) this.counts.commits += 1;
    else if (/^rollback\b/i.test(normalised) && !/^rollback to\b/i.test(normalised)) this.counts.rollbacks += 1;
    // Literals inlined by the ORM (timestamps, cursors) would make each run of a statement a new text.
    const shape = normalised.replace(/'(?:[^']|'')*'/g, '?').replace(/\b\d+(?:\.\d+)?\b/g, '?');
    const key = shape.length > 160 ? `${shape.slice(0, 157)}…` : shape;
    this.counts.texts.set(key, (this.counts.texts.get(key) ?? 0) + 1);
  }
}

/** Splits the client's byte stream into messages: untyped start-up messages first, then typed ones. */
class FrontendParser {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;

  constructor(private readonly onMessage: (type: string, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        this.buffer = this.buffer.subarray(length);
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) this.started = true;
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      this.onMessage(String.fromCharCode(this.buffer[0]), this.buffer.subarray(5, 1 + length));
      this.buffer = this.buffer.subarray(1 + length);
    }
  }
}

function cString(buffer: Buffer, from: number): { value: string; next: number } {
  const end = buffer.indexOf(0, from);
  const stop = end < 0 ? buffer.length : end;
  return { value: buffer.toString('utf8', from, stop), next: stop + 1 };
}

/** Counts between two snapshots. */
export function wireDelta(before: WireCounts, after: WireCounts): WireCounts {
  const texts = new Map<string, number>();
  for (const [text, count] of after.texts) {
    const delta = count - (before.texts.get(text) ?? 0);
    if (delta > 0) texts.set(text, delta);
  }
  return {
    statements: after.statements - before.statements,
    roundTrips: after.roundTrips - before.roundTrips,
    begins: after.begins - before.begins,
    commits: after.commits - before.commits,
    rollbacks: after.rollbacks - before.rollbacks,
    texts,
  };
}
