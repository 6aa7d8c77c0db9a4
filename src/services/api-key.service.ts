import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ApiRole, StaticApiKey } from '../config';
import { ApiKey } from '../entities/api-key.entity';
import type { Actor } from './context';

const DEFAULT_CACHE_MS = 5_000;
const DEV_KEY_FILE = 'dev-admin-api-key';

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `kgw_${randomBytes(32).toString('base64url')}`;
}

/**
 * API keys from two places: `API_KEYS` in the environment, and the database, where only a digest
 * is stored. Lookups by digest are cached for `cacheMs` (a few seconds), so a key revoked from
 * anywhere stops working within that time.
 */
export class ApiKeyService {
  private readonly staticKeys = new Map<string, Actor>();
  private readonly cache = new Map<string, { actor: Actor | null; expires: number }>();

  constructor(
    private readonly em: EntityManager,
    staticKeys: StaticApiKey[],
    readonly cacheMs = DEFAULT_CACHE_MS,
  ) {
    staticKeys.forEach((key, index) => {
      const hash = hashApiKey(key.secret);
      this.staticKeys.set(hash, { callerId: `env:${hash.slice(0, 16)}`, label: `env-${key.role}-${index + 1}`, role: key.role });
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
    const actor = row ? { callerId: row.id, label: row.label, role: row.role } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { actor, expires: Date.now() + this.cacheMs });
    return actor;
  }

  /** Stores a new key's digest and returns the key itself: the only time it is ever seen. */
  async create(role: ApiRole, label: string): Promise<{ id: string; key: string }> {
    const key = generateApiKey();
    const em = this.em.fork();
    const row = em.create(ApiKey, { role, label, keyHash: hashApiKey(key), createdAt: new Date() } as ApiKey);
    await em.persist(row).flush();
    return { id: row.id, key };
  }

  async revoke(idOrLabel: string): Promise<number> {
    const em = this.em.fork();
    const isUuid = /^[0-9a-f-]{36}$/i.test(idOrLabel);
    const rows = await em.find(ApiKey, isUuid ? { id: idOrLabel, revokedAt: null } : { label: idOrLabel, revokedAt: null });
    for (const row of rows) row.revokedAt = new Date();
    await em.flush();
    this.cache.clear();
    return rows.length;
  }

  async list(): Promise<ApiKey[]> {
    return this.em.fork().find(ApiKey, {}, { orderBy: { createdAt: 'asc' } });
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
    const { key } = await this.create('admin', 'dev-admin');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return { key, created: true };
  }
}
