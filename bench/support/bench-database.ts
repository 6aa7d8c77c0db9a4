import { Pool } from 'pg';
import { maskPhone } from '../../src/domain/phone';
import { tengeToTiyn } from '../../src/domain/money';
import { withClient } from '../../test/support/database';

export const DEFAULT_SERVER_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A database of its own for one gateway, on the local PostgreSQL server, dropped afterwards. */
export class BenchDatabase {
  private pool: Pool | null = null;

  private constructor(
    private readonly serverUrl: string,
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(serverUrl: string, name: string): Promise<BenchDatabase> {
    await withClient(serverUrl, async (client) => {
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.query(`create database "${name}"`);
    });
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return new BenchDatabase(serverUrl, name, url.toString());
  }

  /** A small pool of the bench's own, for seeding rows and sampling the reconciler's backlog. */
  get sql(): Pool {
    this.pool ??= new Pool({ connectionString: this.url, max: 2 });
    return this.pool;
  }

  async closePool(): Promise<void> {
    await this.pool?.end();
    this.pool = null;
  }

  /**
   * Transactions committed and index or sequential scans made in this database so far. Read after
   * the gateway has exited: a backend only reports its counters now and then, and always on exit.
   */
  async activity(): Promise<DatabaseActivity> {
    await this.closePool();
    return withClient(this.serverUrl, async (client) => {
      const database = await client.query<{ xact_commit: string }>(
        'select xact_commit from pg_stat_database where datname = $1',
        [this.name],
      );
      return { transactions: Number(database.rows[0]?.xact_commit ?? 0) };
    });
  }

  async drop(): Promise<void> {
    await this.closePool();
    await withClient(this.serverUrl, (client) => client.query(`drop database if exists "${this.name}" with (force)`));
  }
}

export interface DatabaseActivity {
  transactions: number;
}

export interface SeedRowsInput {
  externalIds: string[];
  shopId: number;
  organizationBin: string;
  /** As stored: sealed under the gateway's encryption key. */
  storedDeviceToken: string;
  amountTenge: number;
  phone: string;
  callerId: string;
  /** How long ago they were created. */
  ageMs: number;
  /** The first poll is due somewhere in [dueFromMs, dueFromMs + dueSpreadMs) from now, uniformly. */
  dueFromMs: number;
  dueSpreadMs: number;
}

/**
 * Inserts WAITING payments straight into the gateway's table, one statement for all of them, as
 * if each had been created through the API and accepted by Kaspi under the given external id.
 */
export async function seedWaitingPayments(sql: Pool, input: SeedRowsInput): Promise<void> {
  const chunk = 50_000;
  for (let start = 0; start < input.externalIds.length; start += chunk) {
    await sql.query(
      `insert into payment (id, shop_id, provider, organization_bin, device_token, external_id, amount, status,
                            provider_status, phone_masked, caller_id, request_hash, next_poll_at, created_at, updated_at)
       select gen_random_uuid(), $2, 'kaspi', $3, $4, external_id, $5, 'WAITING',
              'RemotePaymentCreated', $6, $7, md5(external_id) || md5(external_id),
              now() + ($8 * interval '1 millisecond') + random() * ($9 * interval '1 millisecond'),
              now() - ($10 * interval '1 millisecond'), now() - ($10 * interval '1 millisecond')
         from unnest($1::text[]) as external_id`,
      [
        input.externalIds.slice(start, start + chunk),
        input.shopId,
        input.organizationBin,
        input.storedDeviceToken,
        tengeToTiyn(input.amountTenge),
        maskPhone(input.phone),
        input.callerId,
        input.dueFromMs,
        input.dueSpreadMs,
        input.ageMs,
      ],
    );
  }
}
