#!/usr/bin/env node
// Entry point of the `vmic` command. It runs the compiled runtime in dist/ when that is
// up to date with the sources (`npm install` builds it), and otherwise the TypeScript
// sources through tsx, so that a checkout always runs what it contains.
import { isRuntimeFresh } from './runtime-build.js';

if (process.env.VMIC_RUNTIME !== 'source' && isRuntimeFresh()) {
  await import('../dist/scripts/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli/main.ts');
}
