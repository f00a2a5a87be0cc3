// The compiled runtime of the `vmic` command: TypeScript sources compiled to dist/ by
// `npm run build` (run by `npm install` through `prepare`), plus the files they read at
// run time. Loading compiled JavaScript instead of transforming TypeScript on every start
// roughly halves the command's memory (which matters for long migrations) and start time.
// The bin uses dist/ only while it is newer than every source file (see isRuntimeFresh),
// so an edited checkout never runs stale code.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
export const STAMP = path.join(DIST, '.built');
export const SOURCE_DIRS = ['errors', 'pki', 'catalog', 'server', 'scripts', 'views'];
/** Files read at run time, next to the modules that read them. */
export const ASSETS = [
  'catalog/rdf/contexts',
  'catalog/sbom/schemas',
  'server/web/templates',
  'views',
];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function isRuntimeFresh() {
  let built;
  try {
    built = fs.statSync(STAMP).mtimeMs;
  } catch {
    return false;
  }
  return SOURCE_DIRS.every((d) => newestMtime(path.join(ROOT, d)) <= built);
}
