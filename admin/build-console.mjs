// Builds the admin console into admin/dist with Vite. `--if-stale` builds only when the build is
// missing or older than any of its sources, so that `npm start` on a fresh clone serves it built.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const adminDir = path.dirname(fileURLToPath(import.meta.url));
const builtPage = path.join(adminDir, 'dist', 'index.html');
const sources = [path.join(adminDir, 'src'), path.join(adminDir, 'index.html'), path.join(adminDir, 'vite.config.mts'), path.join(adminDir, 'public')];

function newestChange(entry) {
  if (!fs.existsSync(entry)) return 0;
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(entry)) newest = Math.max(newest, newestChange(path.join(entry, child)));
  return newest;
}

/** True when admin/dist is missing or older than a source of the console. */
export function consoleBuildIsStale() {
  if (!fs.existsSync(builtPage)) return true;
  const builtAt = fs.statSync(builtPage).mtimeMs;
  return sources.some((source) => newestChange(source) > builtAt);
}

export async function buildConsole({ ifStale = false } = {}) {
  if (ifStale && !consoleBuildIsStale()) return false;
  const { build } = await import('vite');
  console.log('Building the admin console (admin/dist)…');
  await build({ configFile: path.join(adminDir, 'vite.config.mts'), mode: 'production', logLevel: 'warn' });
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildConsole({ ifStale: process.argv.includes('--if-stale') }).catch((error) => {
    console.error('The admin console could not be built:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
