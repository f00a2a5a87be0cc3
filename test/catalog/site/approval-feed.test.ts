import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { derToPem } from '../../../pki/index.ts';
import {
  readApprovalFeed,
  refreshApprovalFeed,
  type StoredFeed,
} from '../../../catalog/site/approval-feed.ts';
import { approveEndorser, unapproveImage } from '../../../catalog/site/approvals.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { iterateAudit } from '../../../catalog/audit/audit-log.ts';
import { epochSeconds, openssl, withTempDir } from '../../helpers/openssl/index.ts';
import { approvalFeedFixtures } from './helpers/approval-feed-site.ts';

const fixtures = approvalFeedFixtures();

/** `openssl cms -verify` of the stored feed against the scenario's root, at `at`. */
function verifyWithOpenssl(stored: StoredFeed, at: Date) {
  return withTempDir((dir) => {
    writeFileSync(join(dir, 'approved.p7m'), Buffer.from(stored.p7m, 'base64'));
    writeFileSync(join(dir, 'CA.pem'), derToPem(fixtures.pki.root.certificate, 'CERTIFICATE'));
    return openssl(
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'approved.p7m',
        '-CAfile',
        'CA.pem',
        '-purpose',
        'any',
        '-attime',
        epochSeconds(at),
      ],
      { cwd: dir },
    );
  });
}

test('without a site identity nothing is signed, and that is no error', async () => {
  const s = await fixtures.site({ identity: false });
  try {
    assert.deepEqual(await refreshApprovalFeed(s.inst), { signed: false, reason: 'no-identity' });
    assert.equal(await readApprovalFeed(s.inst.store.db), undefined);
  } finally {
    await s.cleanup();
  }
});

test('the feed lists exactly the deployable images, verifies with openssl and is re-signed on change', async () => {
  const s = await fixtures.site({ identity: true });
  try {
    // Setting the site identity signed the first feed already.
    assert.deepEqual(await refreshApprovalFeed(s.inst), {
      signed: false,
      reason: 'unchanged',
      sequence: 1,
    });
    const stored = (await readApprovalFeed(s.inst.store.db))!;
    const v = await verifyWithOpenssl(stored, s.now());
    assert.equal(v.ok, true, v.stderr);
    const t0 = Math.floor(s.now().getTime() / 1000);
    const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
    assert.equal(
      v.stdout.toString('utf8'),
      [
        'vmic-approved-images 1',
        'site https://vmic.example.org',
        'sequence 1',
        `issued ${iso(t0)} ${t0}`,
        `expires ${iso(t0 + 3600)} ${t0 + 3600}`,
        `image ${s.img.sha256} ${s.img.bytes.length} approved-image fx img`,
        'end',
        '',
      ].join('\n'),
    );
    // The unapproved and the unfetched image are absent; the JSON says the same.
    assert.deepEqual(JSON.parse(stored.json), {
      version: 1,
      site: 'https://vmic.example.org',
      sequence: 1,
      issuedAt: iso(t0),
      expiresAt: iso(t0 + 3600),
      images: [
        {
          sha256: s.img.sha256,
          size: s.img.bytes.length,
          reason: 'approved-image',
          endorser: 'fx',
          identifier: 'img',
        },
      ],
    });

    // Nothing changed: nothing new is signed.
    s.advance(60_000);
    assert.deepEqual(await refreshApprovalFeed(s.inst), {
      signed: false,
      reason: 'unchanged',
      sequence: 1,
    });
    // Approving the endorser leaves `unfetched` undeployable and `img` approved by its
    // image approval first: the same lines, the same sequence.
    await approveEndorser(s.inst, { subscription: 'fx', actor: 'test' });
    assert.equal((await readApprovalFeed(s.inst.store.db))!.sequence, 1);
    // Unapproving the image changes its reason: re-signed at once by the change itself.
    await unapproveImage(s.inst, { image: 'img', actor: 'test' });
    const second = (await readApprovalFeed(s.inst.store.db))!;
    assert.equal(second.sequence, 2);
    assert.equal(
      (JSON.parse(second.json) as { images: { reason: string }[] }).images[0]?.reason,
      'approved-endorser',
    );

    const audit = [];
    for await (const row of iterateAudit(s.inst.store.db)) audit.push(row);
    const signed = audit.filter((a) => a.action === 'site.approval-feed.signed');
    assert.deepEqual(
      signed.map((a) => JSON.parse(a.details) as unknown),
      [
        { sequence: 1, images: 1, expiresAt: new Date((t0 + 3600) * 1000).toISOString() },
        { sequence: 2, images: 1, expiresAt: new Date(s.now().getTime() + 3600_000).toISOString() },
      ],
    );
  } finally {
    await s.cleanup();
  }
});

test('past half its lifetime the feed is re-signed; the lifetime is a site policy', async () => {
  const s = await fixtures.site({ identity: true });
  try {
    // A new lifetime applies at once.
    await setPolicy(s.inst, 'approval-feed-ttl', '600', 'test');
    assert.equal((await readApprovalFeed(s.inst.store.db))!.sequence, 2);
    s.advance(299_000);
    assert.equal((await refreshApprovalFeed(s.inst)).signed, false);
    s.advance(1_000);
    assert.deepEqual(await refreshApprovalFeed(s.inst), { signed: true, sequence: 3 });
    const stored = (await readApprovalFeed(s.inst.store.db))!;
    assert.equal(Date.parse(stored.expiresAt) - Date.parse(stored.issuedAt), 600_000);
  } finally {
    await s.cleanup();
  }
});
