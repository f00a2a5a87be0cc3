import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempInstance } from '../helpers/temp-instance.ts';
import { vmic } from '../helpers/cli.ts';

test('vmic policy set: a value its key refuses is a usage error naming key and value; nothing is stored', async () => {
  const { inst, dir, cleanup } = await tempInstance();
  await inst.close();
  try {
    for (const [key, value, expected] of [
      ['revocation', 'sometimes', 'expected one of best-effort, require'],
      ['fetch-concurrency', '17', 'expected an integer between 1 and 16'],
      ['fetch-concurrency', '0x4', 'expected an integer between 1 and 16'],
      ['max-catalog-age', '0', 'expected an integer between 1 and 316224000'],
    ] as const) {
      const r = vmic(['policy', 'set', key, value, '--data', dir]);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(
        r.stderr.trim(),
        `vmic: ${key}: ${expected} (got ${JSON.stringify(value)}) (see vmic --help)`,
      );
    }
    const shown = vmic(['policy', 'show', '--json', '--data', dir]);
    assert.equal(shown.status, 0, shown.stderr);
    const policy = JSON.parse(shown.stdout) as Record<string, unknown>;
    assert.equal(policy.revocation, 'best-effort');
    assert.equal(policy.fetchConcurrency, 2);

    const set = vmic(['policy', 'set', 'fetch-concurrency', '007', '--data', dir]);
    assert.equal(set.status, 0, set.stderr);
    assert.equal(set.stdout.trim(), 'fetch-concurrency = 7');
  } finally {
    await cleanup();
  }
});
