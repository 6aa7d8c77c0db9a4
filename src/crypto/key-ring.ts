import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** One AES-256 key, named so that a ciphertext can say which key sealed it. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'enc:';
const VERSION = 'v1';
const DEV_KEY_FILE = 'encryption-keys';

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/**
 * Parses `ENCRYPTION_KEYS`: `keyId:base64key,...`, each key 32 bytes, the first one active.
 * @throws Error naming what is wrong, never echoing a key.
 */
export function parseEncryptionKeys(spec: string): EncryptionKey[] {
  const keys: EncryptionKey[] = [];
  for (const entry of spec.split(',').map((part) => part.trim()).filter(Boolean)) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    if (separator < 1 || !KEY_ID.test(id)) {
      throw new Error('each entry must be keyId:base64key, the key id 1 to 32 letters, digits, "-" or "_"');
    }
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`the key "${id}" must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
    if (keys.some((known) => known.id === id)) throw new Error(`the key id "${id}" appears twice`);
    keys.push({ id, key });
  }
  if (keys.length === 0) throw new Error('at least one key is required');
  return keys;
}

/** A fresh key in `ENCRYPTION_KEYS` notation. */
export function generateEncryptionKeySpec(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/**
 * Outside production, a gateway started without `ENCRYPTION_KEYS` keeps a key of its own in
 * DATA_DIR, created on the first start, so that a newcomer's device tokens are still encrypted.
 */
export function loadOrCreateDevKeys(dataDir: string): EncryptionKey[] {
  const file = path.join(dataDir, DEV_KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${generateEncryptionKeySpec(`dev-${randomBytes(4).toString('hex')}`)}\n`, { mode: 0o600, flag: 'wx' });
  }
  return parseEncryptionKeys(fs.readFileSync(file, 'utf8'));
}

/**
 * Seals and opens secrets with AES-256-GCM. A sealed value reads
 * `enc:v1:<keyId>:<iv>:<ciphertext>:<tag>` (base64url parts): the key id lets older keys keep
 * opening what they sealed after a new key becomes active, and the header is authenticated with
 * the ciphertext so that it cannot be swapped. A value without the `enc:` prefix was stored before
 * encryption was introduced and is returned as it is, until the rotation rewrites it.
 *
 * @example
 * const ring = new KeyRing(parseEncryptionKeys('k2:...,k1:...'));
 * const stored = ring.seal(deviceToken); // "enc:v1:k2:..."
 * ring.open(stored) === deviceToken;
 */
export class KeyRing {
  private readonly keys: Map<string, Buffer>;
  readonly activeKeyId: string;

  constructor(keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('a key ring needs at least one key');
    this.keys = new Map(keys.map((entry) => [entry.id, entry.key]));
    this.activeKeyId = keys[0].id;
  }

  seal(plaintext: string): string {
    const header = `${PREFIX}${VERSION}:${this.activeKeyId}`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(header));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [header, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(':');
  }

  /** @throws DecryptionError for a sealed value this ring has no key for, or one that was tampered with. */
  open(stored: string): string {
    if (!isSealed(stored)) return stored;
    const parts = stored.split(':');
    if (parts.length !== 6 || parts[1] !== VERSION) throw new DecryptionError('unsupported ciphertext format');
    const [, , keyId, iv, ciphertext, tag] = parts;
    const key = this.keys.get(keyId);
    if (!key) throw new DecryptionError(`no key "${keyId}" in ENCRYPTION_KEYS to open a stored secret`);
    const authTag = Buffer.from(tag, 'base64url');
    // A shortened tag would weaken the authentication: only the full 16 bytes are accepted.
    if (authTag.length !== TAG_BYTES) throw new DecryptionError('unsupported ciphertext format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${PREFIX}${VERSION}:${keyId}`));
      decipher.setAuthTag(authTag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError(`a stored secret does not open with key "${keyId}": wrong key or altered data`);
    }
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** True when `stored` is sealed with the active key, i.e. needs no rotation. */
  isCurrent(stored: string): boolean {
    return stored.startsWith(`${PREFIX}${VERSION}:${this.activeKeyId}:`);
  }
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** The ring a gateway uses: `ENCRYPTION_KEYS`, or outside production the key kept in DATA_DIR. */
export function keyRingFor(config: { encryptionKeys: EncryptionKey[] | null; dataDir: string }): KeyRing {
  return new KeyRing(config.encryptionKeys ?? loadOrCreateDevKeys(config.dataDir));
}
