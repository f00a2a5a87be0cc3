import { createHash } from 'node:crypto';
import { VmicError, isErrorCode } from '../errors/index.ts';
import { cmsVerifySignature } from '../pki/index.ts';
import type { Instance } from './instance.ts';
import { metadataOfColumns } from './image-fields.ts';
import { readImportedCatalog } from './rdf/canonical-check.ts';
import type { Derivation } from './rdf/model.ts';
import { ImageCache } from './site/image-cache.ts';
import { decideSiteImage } from './site/gate.ts';
import { findOneSiteImage } from './site/site-images.ts';
import { discardUnreferencedBlob, registerStoredImage, type Image } from './images.ts';

/** What an adopted image records of its origin: the signed derivation, and where it is held. */
export type StoredDerivation = Omit<Derivation, 'iri'> & {
  /** This site's subscription and the image's identifier in it: re-checked at each publish. */
  adopted: { subscription: string; identifier: string };
};

/**
 * `vmic image adopt SUBSCRIPTION/IDENTIFIER --endorser NAME` (issue 19): an image imported
 * here joins one of this instance's own catalogs, re-endorsed, with its provenance. Only
 * an image deployable here now (endorsed upstream in a current verified catalog, fetched,
 * hash-verified, approved) is adopted (threat: laundering an image this site itself would
 * refuse through a catalog of its own). The bytes are copied from the site cache into the
 * blob store, hashed again on the way, and served from here. The catalog entry states
 * `prov:wasDerivedFrom` the upstream image, qualified by the upstream catalog, its
 * sequence, the SHA-256 of its catalog.p7m and its signer, so that a site downstream can
 * check the upstream claim itself (`--verify-provenance`).
 */
export async function adoptImage(
  inst: Instance,
  input: {
    subscription: string;
    identifier: string;
    endorser: string;
    /** The identifier in this endorser's catalog; the upstream one by default. */
    as?: string | undefined;
    actor: string;
  },
): Promise<Image> {
  const row = await findOneSiteImage(inst.store.db, input.identifier, input.subscription);
  const decision = await decideSiteImage(inst, row);
  if (!decision.deployable) {
    const first = decision.reasons[0]!;
    const why = decision.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
    throw new VmicError(
      isErrorCode(first.code) ? first.code : 'CONFLICT',
      `only an image deployable here can be adopted; ${input.subscription}/${input.identifier} is not (${why})`,
    );
  }
  const sha256 = row.sha256!;
  const identifier = input.as ?? input.identifier;
  await refuseOwnImage(inst, input.endorser, identifier, input);
  const derivation = await derivationOf(inst, row.subscription_id, row.iri, input);

  // Copied from the verified cache, hashed again while streaming: the bytes served from
  // here are the bytes the upstream catalog signed, or nothing is adopted.
  const digest = await inst.blobs.ingest(await ImageCache.of(inst).open(sha256), {
    maxBytes: inst.config.limits.imageBytes,
  });
  if (digest.sha256 !== sha256 || digest.size !== row.byte_size) {
    await discardUnreferencedBlob(inst, digest.sha256);
    throw new VmicError('HASH_MISMATCH', `the cached bytes of ${sha256} no longer hash to it`);
  }
  try {
    return await registerStoredImage(inst, {
      endorser: input.endorser,
      identifier,
      metadata: { ...metadataOfColumns(row) },
      actor: input.actor,
      digest,
      derivedFrom: JSON.stringify(derivation),
    });
  } catch (e) {
    await discardUnreferencedBlob(inst, digest.sha256);
    throw e;
  }
}

/**
 * An identifier the endorser already uses for an image of its own (not adopted from this
 * same source) is not overwritten by an adoption (threat: an own image silently becoming
 * someone else's bytes). Re-adopting the same upstream image refreshes it.
 */
async function refuseOwnImage(
  inst: Instance,
  endorser: string,
  identifier: string,
  source: { subscription: string; identifier: string },
): Promise<void> {
  const held = await inst.store.db
    .selectFrom('images')
    .innerJoin('endorsers', 'endorsers.id', 'images.endorser_id')
    .select('images.derived_from')
    .where('endorsers.name', '=', endorser)
    .where('images.identifier', '=', identifier)
    .executeTakeFirst();
  if (!held) return;
  const from = held.derived_from
    ? (JSON.parse(held.derived_from) as Partial<StoredDerivation>).adopted
    : undefined;
  if (from?.subscription === source.subscription && from.identifier === source.identifier) return;
  throw new VmicError(
    'CONFLICT',
    `${endorser} already has an image ${identifier}${from ? ` adopted from ${from.subscription}/${from.identifier}` : ' of its own'}; adopt it under another identifier (--as NEW)`,
  );
}

/** The derivation from the newest catalog verified here for the subscription. */
export async function derivationOf(
  inst: Instance,
  subscriptionId: number,
  imageIri: string,
  adopted: { subscription: string; identifier: string },
): Promise<StoredDerivation> {
  const catalog = await inst.store.db
    .selectFrom('site_catalogs')
    .select(['sequence', 'p7m', 'signer_subject', 'signer_issuer', 'format'])
    .where('subscription_id', '=', subscriptionId)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  if (catalog.format !== 'rdf')
    throw new VmicError(
      'BAD_REQUEST',
      'only images of an RDF catalog can be adopted: a HEPiX list has no catalog IRI or sequence to derive from',
    );
  // The catalog IRI is in the signed graph; the stored catalog.p7m was verified at import.
  const { content } = await cmsVerifySignature({ cms: catalog.p7m });
  const doc = await readImportedCatalog(content);
  return {
    image: imageIri,
    catalog: doc.iri,
    sequence: catalog.sequence,
    catalogSha256: createHash('sha256').update(catalog.p7m).digest('hex'),
    x509Subject: catalog.signer_subject,
    x509Issuer: catalog.signer_issuer,
    adopted: { subscription: adopted.subscription, identifier: adopted.identifier },
  };
}
