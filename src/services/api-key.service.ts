import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { API_ROLES, type ApiRole, type StaticApiKey } from '../config';
import { ApiKeyAction, ApiKeyLog } from '../entities/api-key-log.entity';
import { ApiKey } from '../entities/api-key.entity';
import { ErrorCode, userError, type UserError } from '../errors';
import { inTransaction, type Actor, type UseCaseContext } from './use-case-context';
import { InputCheck } from './input-check';

const DEFAULT_CACHE_MS = 5_000;
const DEV_KEY_FILE = 'dev-admin-api-key';

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `kgw_${randomBytes(32).toString('base64url')}`;
}

/** Who made a change to the keys, for their audit log. */
export interface KeyChangeAuthor {
  actor: string;
  requestId?: string | null;
}

/** A key as an administrator sees it: never its secret or digest. */
export interface ApiKeyRecord {
  id: string;
  label: string;
  role: ApiRole;
  shopIds: number[] | null;
  /** `API_KEYS` keys cannot be revoked here: they leave with the variable. */
  source: 'DATABASE' | 'ENVIRONMENT';
  createdAt: Date | null;
  revokedAt: Date | null;
}

export interface CreateApiKeyCommand {
  role: ApiRole;
  label: string;
  shopIds?: number[] | null;
}

export interface ApiKeyResult {
  apiKey: ApiKeyRecord | null;
  /** The key itself, on creation only: the one time it is ever shown. */
  secret?: string | null;
  errors: UserError[];
}

const LABEL_MAX_LENGTH = 100;
const MAX_SHOPS_PER_KEY = 1_000;
const COMMAND_LINE = 'command line';

/**
 * API keys from two places: `API_KEYS` in the environment, and the database, where only a digest
 * is stored. Lookups by digest are cached for `cacheMs` (a few seconds), so a key revoked from
 * anywhere stops working within that time. Every creation and revocation is in the keys' own
 * append-only audit log, `api_key_log`.
 */
export class ApiKeyService {
  private readonly staticKeys = new Map<string, Actor>();
  private readonly staticRecords: ApiKeyRecord[] = [];
  private readonly cache = new Map<string, { actor: Actor | null; expires: number }>();

  constructor(
    private readonly em: EntityManager,
    staticKeys: StaticApiKey[],
    readonly cacheMs = DEFAULT_CACHE_MS,
  ) {
    staticKeys.forEach((key, index) => {
      const hash = hashApiKey(key.secret);
      const actor: Actor = { callerId: `env:${hash.slice(0, 16)}`, label: `env-${key.role}-${index + 1}`, role: key.role, shopIds: key.shopIds };
      this.staticKeys.set(hash, actor);
      this.staticRecords.push({
        id: actor.callerId,
        label: actor.label,
        role: key.role,
        shopIds: key.shopIds,
        source: 'ENVIRONMENT',
        createdAt: null,
        revokedAt: null,
      });
    });
  }

  /** The caller behind an `Authorization: Bearer <key>` value, or null for none or a wrong key. */
  async authenticate(authorization: unknown): Promise<Actor | null> {
    if (typeof authorization !== 'string') return null;
    const match = /^Bearer\s+(\S{16,256})\s*$/i.exec(authorization);
    if (!match) return null;
    const hash = hashApiKey(match[1]);
    const fromEnv = this.staticKeys.get(hash);
    if (fromEnv) return fromEnv;

    const cached = this.cache.get(hash);
    if (cached && cached.expires > Date.now()) return cached.actor;
    const row = await this.em.fork().findOne(ApiKey, { keyHash: hash, revokedAt: null });
    const actor = row ? { callerId: row.id, label: row.label, role: row.role, shopIds: row.shopIds } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { actor, expires: Date.now() + this.cacheMs });
    return actor;
  }

  /**
   * Stores a new key's digest, audited, and returns the key itself: the only time it is ever seen.
   * @example
   * const { key } = await apiKeys.create('service', 'main-backend', { shopIds: [8, 9] });
   */
  async create(role: ApiRole, label: string, options: { shopIds?: number[] | null; by?: KeyChangeAuthor } = {}): Promise<{ id: string; key: string; row: ApiKey }> {
    const key = generateApiKey();
    const shopIds = options.shopIds?.length ? [...options.shopIds] : null;
    const row = await inTransaction(this.em, async (tx) => {
      const created = tx.create(ApiKey, { role, label, keyHash: hashApiKey(key), shopIds, createdAt: new Date() } as ApiKey);
      tx.persist(created);
      this.recordChange(tx, created, ApiKeyAction.CREATED, options.by);
      return created;
    });
    return { id: row.id, key, row };
  }

  /** Revokes the active keys with this id or label, audited; how many there were. */
  async revoke(idOrLabel: string, by?: KeyChangeAuthor): Promise<number> {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrLabel);
    const rows = await inTransaction(this.em, async (tx) => {
      const found = await tx.find(ApiKey, isUuid ? { id: idOrLabel, revokedAt: null } : { label: idOrLabel, revokedAt: null });
      for (const row of found) {
        row.revokedAt = new Date();
        this.recordChange(tx, row, ApiKeyAction.REVOKED, by);
      }
      return found;
    });
    this.cache.clear();
    return rows.length;
  }

  async list(): Promise<ApiKey[]> {
    return this.em.fork().find(ApiKey, {}, { orderBy: { createdAt: 'asc' } });
  }

  /** Every key an administrator may manage: those of `API_KEYS`, then the database's, oldest first. */
  async listKeys(ctx: UseCaseContext): Promise<ApiKeyRecord[]> {
    const rows = await ctx.em.find(ApiKey, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return [...this.staticRecords, ...rows.map(toRecord)];
  }

  /** Creates a key for a role, a label and optionally some shops; the secret is in the answer, once. */
  async createKey(ctx: UseCaseContext, input: CreateApiKeyCommand): Promise<ApiKeyResult> {
    const check = new InputCheck();
    if (!API_ROLES.includes(input.role)) check.fail(['input', 'role'], 'role must be admin, service or viewer');
    const label = check.text(input.label, LABEL_MAX_LENGTH, ['input', 'label']);
    if (!label) check.fail(['input', 'label'], 'label must name who holds the key, e.g. main-backend');
    const shopIds = input.shopIds ?? null;
    if (shopIds && shopIds.length > MAX_SHOPS_PER_KEY) check.fail(['input', 'shopIds'], `a key may be limited to at most ${MAX_SHOPS_PER_KEY} shops`);
    shopIds?.forEach((shopId, index) => check.shopId(shopId, ['input', 'shopIds', String(index)]));
    if (!check.ok) return { apiKey: null, secret: null, errors: check.errors };
    const { key, row } = await this.create(input.role, label!, {
      shopIds: shopIds && [...new Set(shopIds)],
      by: { actor: ctx.actor.label, requestId: ctx.requestId },
    });
    return { apiKey: toRecord(row), secret: key, errors: [] };
  }

  /** Revokes one key of the database by id; it stops working everywhere within `cacheMs`. */
  async revokeKey(ctx: UseCaseContext, id: string): Promise<ApiKeyResult> {
    if (this.staticRecords.some((record) => record.id === id)) {
      return { apiKey: null, errors: [userError(ErrorCode.BAD_INPUT, 'a key from API_KEYS is revoked by removing it from API_KEYS', ['id'])] };
    }
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
    const row = isUuid ? await ctx.em.fork().findOne(ApiKey, { id }) : null;
    if (!row) return { apiKey: null, errors: [userError(ErrorCode.NOT_FOUND, 'no API key has this id', ['id'])] };
    if (!row.revokedAt) await this.revoke(id, { actor: ctx.actor.label, requestId: ctx.requestId });
    const current = await ctx.em.fork().findOneOrFail(ApiKey, { id });
    return { apiKey: toRecord(current), errors: [] };
  }

  /**
   * Outside production, a first start with no key anywhere creates an admin key, keeps it in
   * DATA_DIR and returns it, so that a newcomer can call the API at once. Later starts return the
   * same key while it is still valid.
   */
  async ensureDevAdminKey(dataDir: string): Promise<{ key: string; created: boolean } | null> {
    const file = path.join(dataDir, DEV_KEY_FILE);
    if (fs.existsSync(file)) {
      const key = fs.readFileSync(file, 'utf8').trim();
      const actor = await this.authenticate(`Bearer ${key}`);
      if (actor?.role === 'admin') return { key, created: false };
    }
    if (this.staticKeys.size > 0) return null;
    const active = await this.em.fork().count(ApiKey, { revokedAt: null });
    if (active > 0) return null;
    const { key } = await this.create('admin', 'dev-admin', { by: { actor: 'first start' } });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return { key, created: true };
  }

  private recordChange(tx: EntityManager, key: ApiKey, action: ApiKeyAction, by: KeyChangeAuthor | undefined): void {
    tx.persist(
      tx.create(ApiKeyLog, {
        apiKeyId: key.id,
        action,
        actor: (by?.actor ?? COMMAND_LINE).slice(0, 100),
        requestId: by?.requestId ?? null,
        details: { role: key.role, label: key.label, shopIds: key.shopIds },
        createdAt: new Date(),
      } as ApiKeyLog),
    );
  }
}

function toRecord(row: ApiKey): ApiKeyRecord {
  return {
    id: row.id,
    label: row.label,
    role: row.role,
    shopIds: row.shopIds,
    source: 'DATABASE',
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}
