import { combineSignedData } from '../../pki/cms-cosign.ts';
import type { Instance } from '../instance.ts';
import type { Tx } from '../store/write-transaction.ts';
import { parseCanonicalCatalog } from '../rdf/index.ts';
import { writeVersionFiles } from '../publish-files.ts';
import { commitVersion, type PublishedVersion } from '../publish-commit.ts';
import { deletePending, readPendingNQuads, type PendingRow } from './pending.ts';

/**
 * The K-th signature's write transaction: the pending catalog becomes a published version
 * through the same path as a plain publish (publish-files.ts, publish-commit.ts). The
 * catalog's CMS is one SignedData holding every signer's SignerInfo over the same
 * encapsulated N-Quads (pki/cms-cosign.ts), attached (catalog.p7m) and detached
 * (catalog.p7s) with the same SignerInfos and every signer's certificates and chains. The
 * document is read back from the signed N-Quads, and the files written from it must hash
 * to those very bytes. The HEPiX list is the one the endorser signed alone at publish.
 */
export async function publishPending(
  inst: Instance,
  tx: Tx,
  input: {
    endorser: string;
    pending: PendingRow;
    actor: string;
    stored: (sha256: string) => void;
  },
): Promise<PublishedVersion> {
  const p = input.pending;
  const signatures = await tx
    .selectFrom('pending_catalog_signatures')
    .select(['signer', 'cms'])
    .where('pending_id', '=', p.id)
    .orderBy('id')
    .execute();
  const detached = combineSignedData(signatures.map((s) => s.cms));
  const doc = await parseCanonicalCatalog(await readPendingNQuads(inst, p));
  const files = await writeVersionFiles(
    inst,
    doc,
    { detached, nquadsSha256: p.nquads_sha256 },
    Buffer.from(p.image_list),
    input.stored,
  );
  const published = await commitVersion(tx, inst, {
    endorser: input.endorser,
    endorserId: p.endorser_id,
    sequence: p.sequence,
    issued: new Date(p.issued_at),
    expires: new Date(p.expires_at),
    imageCount: p.image_count,
    files,
    actor: input.actor,
    details: { signers: signatures.map((s) => s.signer), threshold: p.threshold },
  });
  await deletePending(tx, p.id);
  return published;
}
