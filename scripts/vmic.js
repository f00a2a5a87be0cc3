#!/usr/bin/env node
// Entry point of the `vmic` command: loads the TypeScript sources through tsx, so that a
// checkout runs with `npx vmic ...` after `npm install` and no build step.
import { register } from 'tsx/esm/api';

register();
await import('./cli/main.ts');
