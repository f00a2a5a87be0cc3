import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { VmicError } from '../../errors/index.ts';

export const MASTER_KEY_FILE = 'master.key';

/**
 * The instance master key seals signing keys at rest. Threat: a copy of the database (a
 * backup, a stolen disk image) must not yield an endorser's signing key. Source:
 * `$VMIC_MASTER_KEY` (64 hex or base64 of 32 bytes), else the file `$VMIC_MASTER_KEY_FILE`
 * names (which must exist: replicas on several hosts read one key, and a key created here
 * would differ from theirs), else a 0600 file in the data directory, created on first use.
 * A key file readable by others is refused.
 */
export function loadMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.VMIC_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return decodeKey(fromEnv, 'VMIC_MASTER_KEY');
  const named = env.VMIC_MASTER_KEY_FILE;
  if (named !== undefined && named !== '') return readKeyFile(path.resolve(named), true);

  const file = path.join(dataDir, MASTER_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const fd = fs.openSync(
      file,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL,
      0o600,
    );
    fs.writeSync(fd, crypto.randomBytes(32).toString('hex') + '\n');
    fs.closeSync(fd);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return readKeyFile(file, false);
}

function readKeyFile(file: string, named: boolean): Buffer {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile())
    throw new VmicError(
      'CONFIG',
      `VMIC_MASTER_KEY_FILE names no file: ${file}; create it once (openssl rand -hex 32 > ${file}; chmod 600 ${file}) and give every replica the same one`,
    );
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new VmicError(
      'CONFIG',
      `${file} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${file}`,
    );
  }
  return decodeKey(
    fs.readFileSync(file, 'utf8').trim(),
    named ? `VMIC_MASTER_KEY_FILE ${file}` : file,
  );
}

function decodeKey(text: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, 'hex')
    : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new VmicError('CONFIG', `${source} must hold 32 bytes (64 hex digits or base64)`);
  }
  return key;
}

/** Separate keys per purpose, so a token-signing key can never open a sealed signing key. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), `vmic ${purpose}`, 32));
}
