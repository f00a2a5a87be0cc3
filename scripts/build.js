// `npm run build`: compile the runtime into dist/ and copy the files it reads at run time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ASSETS, DIST, ROOT, STAMP } from './runtime-build.js';

fs.rmSync(DIST, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    path.join(ROOT, 'tsconfig.build.json'),
  ],
  { stdio: 'inherit' },
);
for (const asset of ASSETS)
  fs.cpSync(path.join(ROOT, asset), path.join(DIST, asset), { recursive: true });
await vendorKysely();
fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);

/**
 * kysely ships as some 280 ES modules, and loading them was half of the start-up of a short
 * command such as `vmic check` (about 95 ms of 200). The runtime imports one pre-bundled
 * copy instead: esbuild writes dist/vendor/kysely.js, and every import of 'kysely' in dist/
 * is pointed at it (all of them, so that there is one copy of its classes). Without esbuild
 * (a dev dependency) dist/ keeps importing the package.
 */
async function vendorKysely() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return;
  }
  const bundle = path.join(DIST, 'vendor', 'kysely.js');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'node_modules', 'kysely', 'dist', 'esm', 'index.js')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
  });
  for (const file of fs.readdirSync(DIST, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.js') || file.startsWith('vendor')) continue;
    const abs = path.join(DIST, file);
    const text = fs.readFileSync(abs, 'utf8');
    if (!text.includes("from 'kysely'")) continue;
    let rel = path.relative(path.dirname(abs), bundle).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    fs.writeFileSync(abs, text.replaceAll("from 'kysely'", `from '${rel}'`));
  }
}
