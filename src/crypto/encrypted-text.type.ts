import { Type, type MikroORM, type Platform, type TransformContext } from '@mikro-orm/core';
import type { KeyRing } from './key-ring';

export const SEALED_COLUMN_COMMENT =
  'sealed with AES-256-GCM under ENCRYPTION_KEYS (enc:v1:<keyId>:...); plain text only in rows written before encryption';

/** Each ORM (each gateway, each test database) seals with its own ring, found by its platform. */
const rings = new WeakMap<Platform, KeyRing>();

/** Makes `orm` seal and open its encrypted columns with `ring`; call it before the first query. */
export function bindKeyRing(orm: MikroORM, ring: KeyRing): void {
  rings.set(orm.em.getPlatform(), ring);
}

function ringOf(platform: Platform | undefined): KeyRing {
  const ring = platform && rings.get(platform);
  if (!ring) throw new Error('no encryption key ring is bound to this ORM: call bindKeyRing(orm, ring) after opening it');
  return ring;
}

/**
 * A text column stored sealed with AES-256-GCM (see {@link KeyRing}) and read back as plain text.
 * Rows written before encryption still read. A sealed value is different at every write, so such a
 * column cannot be searched, and two snapshots are compared by what they open to.
 */
export class EncryptedTextType extends Type<string | null, string | null> {
  override convertToDatabaseValue(value: string | null, platform: Platform, context?: TransformContext): string | null {
    if (value == null) return null;
    if (context?.mode === 'query') throw new Error('an encrypted column cannot be searched by value');
    return ringOf(platform).seal(value);
  }

  override convertToJSValue(value: string | null, platform: Platform): string | null {
    if (value == null) return null;
    return ringOf(platform).open(value);
  }

  override compareValues(a: string | null, b: string | null): boolean {
    if (a == null || b == null) return a == b;
    if (a === b) return true;
    const ring = ringOf(this.platform);
    return ring.open(a) === ring.open(b);
  }

  override compareAsType(): string {
    return 'string';
  }

  override ensureComparable(): boolean {
    return false;
  }

  override getColumnType(): string {
    return 'text';
  }
}
