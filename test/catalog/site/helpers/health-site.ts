import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Instance } from '../../../../catalog/index.ts';
import { addTrustMaterial } from '../../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../../catalog/site/subscriptions.ts';
import { runImport, type ImportOutcome } from '../../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../../catalog/site/fetch-images.ts';
import { approveEndorser } from '../../../../catalog/site/approvals.ts';
import {
  opensslCmsSign,
  opensslEndorser,
  opensslRootCa,
  type OpensslCert,
} from '../../../helpers/openssl/index.ts';
import { catalogNQuads } from './signed-feed.ts';
import { startFeedHost, type FeedHost } from './feed-host.ts';
import { randomImage, startImageServer, type ImageServer } from './image-server.ts';

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;

/** An endorser (certificates by stock openssl) with a feed host and an image mirror on loopback. */
export interface HealthFeeds {
  dir: string;
  ca: OpensslCert;
  endorser: OpensslCert;
  feeds: FeedHost;
  images: ImageServer;
  stop(): Promise<void>;
}

export async function startHealthFeeds(): Promise<HealthFeeds> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-health-'));
  const ca = opensslRootCa(dir, 'ca', '/C=CH/O=vmic test/CN=Health Test CA');
  const endorser = opensslEndorser(dir, 'cern', '/C=CH/O=vmic test/CN=Endorser CERN', ca);
  const feeds = await startFeedHost();
  const images = await startImageServer();
  return {
    dir,
    ca,
    endorser,
    feeds,
    images,
    stop: async () => {
      await feeds.stop();
      await images.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One subscription of `inst`, imported for real at the instance's clock: a catalog of one
 * image issued an hour ago that expires `expiresInMs` later. Then, unless told otherwise,
 * its image is fetched (`fetch`) and its endorser approved (`approve`). `mirrorLies`: the mirror serves other
 * bytes, so the fetch quarantines them. `wrongSubject`: the subscription expects another
 * signer, so the import is refused (SUBJECT_MISMATCH) and nothing else happens.
 */
export async function importedSubscription(
  inst: Instance,
  f: HealthFeeds,
  name: string,
  opts: {
    expiresInMs?: number;
    mirrorLies?: boolean;
    wrongSubject?: boolean;
    fetch?: boolean;
    approve?: boolean;
  },
): Promise<ImportOutcome> {
  const now = inst.now().getTime();
  await addTrustMaterial(inst, f.ca.pem, 'test');
  const img = randomImage(48 * 1024 + 7);
  f.images.serve(
    `/${name}/${img.sha256}`,
    opts.mirrorLies ? randomImage(img.bytes.length).bytes : img.bytes,
  );
  await subscribe(inst, {
    url: f.feeds.url(`/feeds/${name}/`),
    expectSubject: opts.wrongSubject ? 'CN=Someone Else,O=vmic test,C=CH' : f.endorser.subject,
    name,
    actor: 'test',
    log: 'off',
  });
  const nquads = await catalogNQuads({
    signer: f.endorser,
    sequence: 1,
    issued: new Date(now - HOUR),
    expires: new Date(now - HOUR + (opts.expiresInMs ?? 30 * DAY)),
    images: [
      {
        identifier: `${name}-alma9`,
        sha256: img.sha256,
        byteSize: img.bytes.length,
        downloadUrl: f.images.url(`/${name}/${img.sha256}`),
      },
    ],
  });
  f.feeds.serve(`/feeds/${name}/catalog.p7m`, opensslCmsSign(f.dir, nquads, f.endorser));
  const [outcome] = await runImport(inst, { subscription: name, actor: 'test' });
  if (!outcome) throw new Error(`no import outcome for ${name}`);
  if (outcome.status !== 'applied') return outcome;
  if (opts.fetch !== false) await fetchImages(inst, { subscription: name, actor: 'test' });
  if (opts.approve !== false) await approveEndorser(inst, { subscription: name, actor: 'test' });
  return outcome;
}
