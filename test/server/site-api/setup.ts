/**
 * What the site API tests share (one file per resource in this folder): a site on a fixed
 * clock per file, the gate's decision shape, and the problem+json check.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURE_TIME } from '../../fixtures/pki-fixtures.ts';
import { problemOf } from '../harness.ts';
import { startSite, type SiteHarness } from '../site-harness.ts';

const DAY = 86400_000;
/** `days` after the fixtures' clock. */
export const at = (days: number) => new Date(FIXTURE_TIME.getTime() + days * DAY);

export interface Decision {
  deployable: boolean;
  reasons: { code: string }[];
}
export const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code).sort();

export async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status, `${res.url}: ${res.status}`);
  assert.equal((await problemOf(res)).code, code, res.url);
}

/**
 * One site (no endorsers, the fixtures' clock) for the tests of the enclosing suite:
 * started before them; after them, no 500 was logged and it is closed. Returns the getter.
 */
export function siteForTests(): () => SiteHarness {
  let s: SiteHarness | undefined;
  before(async () => {
    s = await startSite({ now: FIXTURE_TIME });
  });
  after(async () => {
    assert.deepEqual(s?.logs, []);
    await s?.close();
  });
  return () => {
    if (!s) throw new Error('the site starts in before()');
    return s;
  };
}
