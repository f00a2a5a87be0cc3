import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeInventories } from '../../scripts/cli/commands/fetch.ts';

const sha = (c: string) => c.repeat(64);

test('vmic fetch names each software inventory that did not verify, then the totals', () => {
  assert.deepEqual(describeInventories([]), [], 'nothing said when no image has an SBOM');
  const lines = describeInventories([
    {
      subscription: 'cern',
      identifier: 'alma9',
      sbomSha256: sha('a'),
      outcome: 'verified',
      packages: 12,
    },
    {
      subscription: 'cern',
      identifier: 'deb12',
      sbomSha256: sha('b'),
      outcome: 'cached',
      packages: 3,
    },
    {
      subscription: 'desy',
      identifier: 'sl7',
      sbomSha256: sha('c'),
      outcome: 'quarantined',
      code: 'HASH_MISMATCH',
      message: 'served bytes hashed to something else',
    },
  ]);
  assert.deepEqual(lines, [
    `quarantined SBOM of desy/sl7 sha256:${sha('c')}\n            HASH_MISMATCH: served bytes hashed to something else`,
    '3 software inventories: 1 verified, 1 cached, 1 quarantined, 0 unreadable, 0 failed',
  ]);
});
