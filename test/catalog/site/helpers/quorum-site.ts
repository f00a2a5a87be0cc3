import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addTrustMaterial } from '../../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../../catalog/site/fetch-images.ts';
import { tempInstance } from '../../../helpers/temp-instance.ts';
import { catalogNQuads } from './signed-feed.ts';
import { startFeedHost } from './feed-host.ts';
import { randomImage, startImageServer } from './image-server.ts';
import {
  opensslCmsSign,
  opensslEndorser,
  opensslRootCa,
  type OpensslCert,
} from '../../../helpers/openssl/index.ts';

const HOUR = 3600_000;
export const DAY = 24 * HOUR;

export const ENDORSERS = ['cern', 'desy', 'infn'] as const;
export type EndorserName = (typeof ENDORSERS)[number];

/** One CA (made by openssl) and three endorsers under it, made once per test file. */
export interface QuorumPki {
  dir: string;
  ca: OpensslCert;
  endorsers: Record<EndorserName, OpensslCert>;
  cleanup(): void;
}

export function quorumPki(): QuorumPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-quorum-'));
  const ca = opensslRootCa(dir, 'ca', '/C=CH/O=vmic test/CN=Quorum Test CA');
  const of = (name: string) =>
    opensslEndorser(dir, name, `/C=CH/O=vmic test/CN=Endorser ${name.toUpperCase()}`, ca);
  return {
    dir,
    ca,
    endorsers: { cern: of('cern'), desy: of('desy'), infn: of('infn') },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Three images' bytes (x, y, z) the endorsers list under the identifiers they choose. */
export type Listed = { identifier: string; bytes: 'x' | 'y' | 'z' }[];

/**
 * A site (real SQLite or PostgreSQL via tempInstance, a clock the test moves) subscribed
 * to the three endorsers cern, desy and infn, whose feeds and image mirror are real HTTP
 * servers on loopback. `publish` serves an endorser's next catalog; `importAndFetch` imports
 * every feed and fetches every endorsed image.
 */
export async function quorumSite(pki: QuorumPki) {
  const feeds = await startFeedHost();
  const images = await startImageServer();
  let now = Math.floor(Date.now() / 1000) * 1000;
  const t = await tempInstance({ now: () => new Date(now) });
  const bytes = { x: randomImage(8 * 1024), y: randomImage(8 * 1024), z: randomImage(8 * 1024) };
  for (const b of Object.values(bytes)) images.serve(`/${b.sha256}`, b.bytes);
  const cleanup = async () => {
    await t.cleanup();
    await feeds.stop();
    await images.close();
  };
  const sequence: Record<string, number> = {};
  try {
    await addTrustMaterial(t.inst, pki.ca.pem, 'test');
    for (const name of ENDORSERS)
      await subscribe(t.inst, {
        url: feeds.url(`/feeds/${name}/`),
        expectSubject: pki.endorsers[name].subject,
        name,
        actor: 'test',
        log: 'off',
      });
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    inst: t.inst,
    x: bytes.x.sha256,
    y: bytes.y.sha256,
    z: bytes.z.sha256,
    advance: (ms: number) => (now += ms),
    /** Serves `name`'s next catalog, issued an hour ago and expiring `expiresIn` from now. */
    async publish(name: EndorserName, listed: Listed, expiresIn = 30 * DAY) {
      sequence[name] = (sequence[name] ?? 0) + 1;
      const signer = pki.endorsers[name];
      const nquads = await catalogNQuads({
        signer,
        sequence: sequence[name],
        issued: new Date(now - HOUR),
        expires: new Date(now + expiresIn),
        images: listed.map((l) => ({
          identifier: l.identifier,
          sha256: bytes[l.bytes].sha256,
          byteSize: bytes[l.bytes].bytes.length,
          downloadUrl: images.url(`/${bytes[l.bytes].sha256}`),
        })),
      });
      feeds.serve(`/feeds/${name}/catalog.p7m`, opensslCmsSign(pki.dir, nquads, signer));
    },
    async importAndFetch() {
      const outcomes = await runImport(t.inst, { actor: 'test' });
      if (outcomes.some((o) => o.status === 'failed'))
        throw new Error(`imports: ${JSON.stringify(outcomes)}`);
      const fetched = await fetchImages(t.inst, { actor: 'test' });
      if (fetched.totals.failed !== 0) throw new Error(`fetch: ${JSON.stringify(fetched.images)}`);
    },
    cleanup,
  };
}
