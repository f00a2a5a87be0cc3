import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  cosignerFromSeed,
  cosignerKeyText,
  signerFromSeed,
  verifierKeyText,
} from '../../../tlog/index.ts';
import type { Instance } from '../../../catalog/index.ts';
import { iterateAudit } from '../../../catalog/audit/audit-log.ts';
import { listSubscriptions, subscribe } from '../../../catalog/site/subscriptions.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

// A subscription's transparency-log policy as subscribe() checks it (catalog/site/
// subscription-log.ts): what it refuses, what it defaults to, and what it audits.
const SUBJECT = '/C=CH/O=vmic test/CN=Logged Endorser';
const witness = (name: string) => cosignerKeyText(cosignerFromSeed(name, randomBytes(32)));
const logKey = (name: string) => verifierKeyText(signerFromSeed(name, randomBytes(32)));

let t: Awaited<ReturnType<typeof tempInstance>>;
let inst: Instance;
let n = 0;
/** A subscription to a fresh feed URL, so that only what `extra` asks decides the outcome. */
const sub = (extra: Partial<Parameters<typeof subscribe>[1]>) =>
  subscribe(inst, {
    url: `http://127.0.0.1:9/feeds/feed-${++n}/`,
    expectSubject: SUBJECT,
    actor: 'test',
    ...extra,
  });

before(async () => {
  t = await tempInstance();
  inst = t.inst;
});
after(() => t.cleanup());

test('a HEPiX list can only be subscribed with the log off', async () => {
  await assert.rejects(sub({ format: 'hepix', log: 'require' }), {
    code: 'BAD_REQUEST',
    message: /HEPiX image lists are not in a transparency log/,
  });
  await assert.rejects(sub({ format: 'hepix', log: 'warn' }), { code: 'BAD_REQUEST' });
  // Without --log a HEPiX list is off, not require.
  assert.equal((await sub({ format: 'hepix' })).log.policy, 'off');
});

test('the witness quorum: at most the witnesses named; by default all of them', async () => {
  const [a, b] = [witness('a.example'), witness('b.example')];
  await assert.rejects(sub({ witnesses: [a, b], witnessQuorum: 3 }), {
    code: 'BAD_REQUEST',
    message: /--witness-quorum must be between 0 and the 2 witnesses named/,
  });
  await assert.rejects(sub({ witnessQuorum: 1 }), { code: 'BAD_REQUEST' });
  const s = await sub({ witnesses: [a, `${b},http://127.0.0.1:9/w`] });
  assert.equal(s.log.policy, 'require');
  assert.equal(s.log.quorum, 2);
  assert.deepEqual(s.log.witnesses, [{ key: a }, { key: b, url: 'http://127.0.0.1:9/w/' }]);
  assert.equal((await sub({ witnesses: [a, b], witnessQuorum: 1 })).log.quorum, 1);
});

test('a log key (algorithm 0x01) is no witness key', async () => {
  const before = (await listSubscriptions(inst.store.db)).length;
  await assert.rejects(sub({ witnesses: [logKey('log.example')] }), {
    code: 'BAD_REQUEST',
    message: /^--witness: /,
  });
  assert.equal((await listSubscriptions(inst.store.db)).length, before);
});

test('pinning a second key for a log origin already followed is a CONFLICT', async () => {
  const first = logKey('shared.example/log');
  const second = logKey('shared.example/log');
  assert.notEqual(first, second);
  const s = await sub({ logKey: first });
  assert.deepEqual(
    { text: s.log.key?.text, origin: s.log.key?.origin, source: s.log.key?.source },
    { text: first, origin: 'shared.example/log', source: 'pinned' },
  );
  await assert.rejects(sub({ name: 'second', logKey: second }), {
    code: 'CONFLICT',
    message: /already followed with the key/,
  });
  // Nothing of the refused subscription was kept; the same key again is fine.
  assert.ok(!(await listSubscriptions(inst.store.db)).some((x) => x.name === 'second'));
  assert.equal((await sub({ logKey: first })).log.key?.text, first);
});

test('subscription.added audits the log policy, key, witnesses and quorum', async () => {
  const key = logKey('audited.example/log');
  const w = witness('w.example');
  const s = await sub({ name: 'audited', log: 'warn', logKey: key, witnesses: [w] });
  let details: Record<string, unknown> | undefined;
  for await (const r of iterateAudit(inst.store.db))
    if (r.action === 'subscription.added' && r.subject === s.name)
      details = JSON.parse(r.details) as Record<string, unknown>;
  assert.ok(details, 'no subscription.added entry');
  const { log, logKey: audited, witnesses, witnessQuorum } = details;
  assert.deepEqual(
    { log, logKey: audited, witnesses, witnessQuorum },
    { log: 'warn', logKey: key, witnesses: [{ key: w }], witnessQuorum: 1 },
  );
});
