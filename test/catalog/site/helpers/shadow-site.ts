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
import { opensslCmsSign, opensslEndorser, opensslRootCa } from '../../../helpers/openssl/index.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * A site subscribed to two endorsers (certificates made by openssl) that both list
 * `alma9`, with different bytes: the second one shadows the first's name. The first also
 * lists `alma9-latest`, the same bytes as its `alma9`. Both catalogs are imported and
 * every image fetched; nothing is approved.
 */
export async function shadowedSite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-shadow-'));
  const ca = opensslRootCa(dir, 'ca', '/C=CH/O=vmic test/CN=Shadow Test CA');
  const alpha = opensslEndorser(dir, 'alpha', '/C=CH/O=vmic test/CN=Endorser Alpha', ca);
  const beta = opensslEndorser(dir, 'beta', '/C=CH/O=vmic test/CN=Endorser Beta', ca);
  const feeds = await startFeedHost();
  const images = await startImageServer();
  const now = Math.floor(Date.now() / 1000) * 1000;
  const t = await tempInstance({ now: () => new Date(now) });
  const x = randomImage(8 * 1024);
  const y = randomImage(8 * 1024);
  images.serve(`/${x.sha256}`, x.bytes);
  images.serve(`/${y.sha256}`, y.bytes);
  const img = (identifier: string, bytes: { sha256: string; bytes: Buffer }) => ({
    identifier,
    sha256: bytes.sha256,
    byteSize: bytes.bytes.length,
    downloadUrl: images.url(`/${bytes.sha256}`),
  });
  const cleanup = async () => {
    await t.cleanup();
    await feeds.stop();
    await images.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await addTrustMaterial(t.inst, ca.pem, 'test');
    for (const [name, signer, listed] of [
      ['alpha', alpha, [img('alma9', x), img('alma9-latest', x)]],
      ['beta', beta, [img('alma9', y)]],
    ] as const) {
      await subscribe(t.inst, {
        url: feeds.url(`/feeds/${name}/`),
        expectSubject: signer.subject,
        actor: 'test',
        log: 'off',
      });
      const nquads = await catalogNQuads({
        signer,
        sequence: 1,
        issued: new Date(now - HOUR),
        expires: new Date(now + 30 * DAY),
        images: [...listed],
      });
      feeds.serve(`/feeds/${name}/catalog.p7m`, opensslCmsSign(dir, nquads, signer));
    }
    const outcomes = await runImport(t.inst, { actor: 'test' });
    if (outcomes.some((o) => o.status !== 'applied'))
      throw new Error(`imports: ${JSON.stringify(outcomes)}`);
    const fetched = await fetchImages(t.inst, { actor: 'test' });
    if (fetched.totals.failed !== 0) throw new Error(`fetch: ${JSON.stringify(fetched.images)}`);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { inst: t.inst, dir: t.dir, x, y, cleanup };
}
