import { Client } from 'pg';
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export interface TestDatabase {
  /** DATABASE_URL for the gateway, or undefined for the embedded database. */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * With DATABASE_URL set (CI's PostgreSQL run), each test file gets a database of its own on that
 * server, dropped afterwards, so files can run in parallel. Without it, the embedded database.
 */
export async function createTestDatabase(serverUrl = process.env.DATABASE_URL): Promise<TestDatabase> {
  if (!serverUrl) return { url: undefined, drop: async () => undefined };
  const name = `kaspi_gw_test_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await withClient(serverUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/** One short connection for `work`, closed whatever happens. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The local PostgreSQL server, when one answers: some tests need a real server whatever the run. */
export async function reachablePostgres(url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'): Promise<string | null> {
  try {
    await withClient(url, (client) => client.query('select 1'));
    return url;
  } catch {
    return null;
  }
}

/** Whether a Redis answers PING at host:port: tests of shared state skip where none runs. */
export function redisAnswers(host = '127.0.0.1', port = 6379): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => socket.write('PING\r\n'));
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}
