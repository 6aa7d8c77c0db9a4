import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { API_ROLES, loadConfig, parseShopIds, type ApiRole } from '../config';
import { ApiKeyService } from '../services/api-key.service';
import { withDatabase } from './database';

const USAGE = `usage:
  npm run apikey -- create --role admin|service|viewer --label NAME [--shops 8,9]
  npm run apikey -- revoke ID_OR_LABEL
  npm run apikey -- list`;

/** Stores API keys as digests; a new key is printed once and never again. */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string' }, label: { type: 'string' }, shops: { type: 'string' } },
  });
  const [command, target] = positionals;
  const config = loadConfig();

  await withDatabase(config, async (orm) => {
    const keys = new ApiKeyService(orm.em, []);
    switch (command) {
      case 'create': {
        const role = values.role as ApiRole;
        const shopIds = values.shops === undefined ? null : parseShopIds(values.shops, ',');
        if (!API_ROLES.includes(role) || !values.label || (values.shops !== undefined && !shopIds)) throw new Error(USAGE);
        const { id, key } = await keys.create(role, values.label.slice(0, 100), { shopIds });
        const scope = shopIds ? `, limited to shops ${shopIds.join(', ')}` : '';
        console.log(`created ${role} key ${id} (${values.label}${scope}). Keep it now, it is not shown again:\n${key}`);
        break;
      }
      case 'revoke': {
        if (!target) throw new Error(USAGE);
        const revoked = await keys.revoke(target);
        console.log(revoked > 0 ? `revoked ${revoked} key(s)` : 'no active key matches');
        if (revoked === 0) process.exitCode = 1;
        break;
      }
      case 'list':
        for (const key of await keys.list()) {
          const scope = key.shopIds ? `shops ${key.shopIds.join(',')}` : 'all shops';
          console.log(`${key.id}  ${key.role.padEnd(7)}  ${key.label}  ${scope}  ${key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active'}`);
        }
        break;
      default:
        throw new Error(USAGE);
    }
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
