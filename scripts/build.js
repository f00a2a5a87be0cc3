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
fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
