/**
 * Storage URLs as an operator types them: a wrong scheme, an unreachable database or a
 * malformed bucket URL stops the command with a CONFIG error (exit 2) that never prints
 * the password, and leaves no SQLite file behind as if the URL had been ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vmic } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';

const SECRET = 'hunter2-not-for-logs';

test('bad --database-url and --blob-url values are CONFIG errors that keep the password out', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-urls-'));
  const closedPort = await freePort();
  try {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--database-url', `mysql://u:${SECRET}@127.0.0.1/x`], {}, /must start with postgres:\/\//],
      [
        [],
        { VMIC_DATABASE_URL: `postgres://u:${SECRET}@127.0.0.1:${closedPort}/x` },
        /cannot reach the database/,
      ],
      [['--blob-url', `https://bucket.example/${SECRET}`], {}, /must start with s3:\/\//],
      [['--blob-url', `s3://vmic-images?token=${SECRET}`], {}, /CONFIG|blob URL|parameter/i],
    ];
    for (const [args, env, message] of cases) {
      const r = vmic(['endorser', 'list', '--data', dir, ...args], env);
      assert.equal(r.status, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET));
      assert.equal(fs.existsSync(path.join(dir, 'vmic.sqlite')), false);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
