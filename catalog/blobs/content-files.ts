import fs from 'node:fs';
import path from 'node:path';
import { SHA256_HEX } from './digest.ts';

const PREFIX = /^[0-9a-f]{2}$/;

/** `<root>/ab/<abcdef…>` files by SHA-256; any other name is not ours and is left alone. */
export function listContentFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  let prefixes: string[];
  try {
    prefixes = fs.readdirSync(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const prefix of prefixes) {
    if (!PREFIX.test(prefix)) continue;
    let names: string[];
    try {
      names = fs.readdirSync(path.join(root, prefix));
    } catch {
      continue; // not a directory
    }
    for (const name of names)
      if (SHA256_HEX.test(name) && name.startsWith(prefix))
        out.set(name, path.join(root, prefix, name));
  }
  return out;
}
