import type { ReasonCode } from '../../../errors/index.ts';

/**
 * Every reason code of docs/design.md §6 (import), §7 (deploy gate) and §8 (migration) in plain words, for
 * people who do not read the design document. Typed as a total record so that a code
 * added to the contract cannot reach the pages without an explanation.
 */
export const REASON_TEXT: Record<ReasonCode, string> = {
  FETCH_FAILED:
    'The catalog could not be downloaded (the feed did not answer, or answered with an error).',
  TOO_LARGE: 'The download was larger than the configured size limit, so it was abandoned.',
  MALFORMED:
    'The file is not a well-formed signed catalog (bad CMS structure, not exactly one signer, or an invalid RDF graph).',
  SIGNATURE_INVALID:
    'The signature does not match the catalog content: it was altered or signed with another key.',
  WEAK_ALGORITHM:
    'The signature or certificate chain uses a weak algorithm (such as SHA-1 or MD5), which is refused.',
  CHAIN_UNTRUSTED:
    "The signer's certificate does not lead to a trust anchor in this site's trust store.",
  CERT_EXPIRED: "A certificate in the signer's chain had expired at the time of the check.",
  CERT_NOT_YET_VALID:
    "A certificate in the signer's chain was not yet valid at the time of the check.",
  KEY_USAGE:
    'A certificate is not allowed to be used this way (its key usage or CA flag does not permit it).',
  CERT_REVOKED: "A certificate in the signer's chain has been revoked by its issuer.",
  CRL_STALE:
    'The revocation list is out of date (past its next update), so revocation cannot be checked.',
  CRL_INVALID:
    "A revocation list held for an issuer in the signer's chain cannot be used (bad signature, issuer may not sign CRLs, unknown critical extension, or not valid yet), so the chain is refused.",
  SUBJECT_MISMATCH:
    'The catalog was signed by someone other than the endorser this subscription is pinned to.',
  NOT_CANONICAL:
    'The signed content is not in the canonical N-Quads form that every verifier can reproduce.',
  CATALOG_EXPIRED: 'The catalog has passed its expiry date; the endorser must publish a fresh one.',
  EQUIVOCATION: 'The endorser published two different catalogs with the same sequence number.',
  ROLLBACK:
    'The catalog is older than one already imported (a lower sequence number): a replay of old data.',
  UNKNOWN_IMAGE: 'No imported catalog lists this image.',
  NOT_ENDORSED:
    'The image is not in the latest verified catalog (it was withdrawn, or these are old bytes).',
  SUBSCRIPTION_DISABLED: 'The subscription this image comes from is disabled.',
  NOT_APPROVED: 'Nobody at this site has approved this image version or its endorser.',
  NOT_FETCHED: 'The image bytes have not been downloaded and verified into the site cache yet.',
  HASH_MISMATCH:
    'The downloaded bytes did not match the signed SHA-256 and are held in quarantine.',
  SIGNER_REVOKED:
    "The catalog signer's certificate has been revoked since the catalog was imported.",
  UNKNOWN_PEER: 'The migration came from a site that is not on the list of peer sites.',
  WRONG_RECIPIENT: 'The migration manifest is addressed to another site.',
  REPLAY:
    'This migration manifest was already received once, or its time is outside the clock window in which replays can be recognised (check both sites’ clocks): it is refused.',
  KEY_UNWRAP_FAILED: "The migration's data key could not be unwrapped with this site's key.",
  CIPHERTEXT_INVALID:
    'The migrated image failed decryption: its ciphertext was altered or damaged.',
  TOO_SLOW:
    'The download took longer than the site allows (overall deadline or minimum throughput), so it was abandoned.',
  INTERRUPTED:
    'The process doing this work stopped (crash, kill or power loss) before it finished; nothing was half-applied.',
  GLANCE_FAILED:
    'Glance (or Keystone in front of it) could not be reached or refused the request; nothing was changed there by this step.',
  GLANCE_HASH_MISMATCH:
    'The hash Glance computed of the uploaded image differs from the verified bytes, so the Glance image was deleted.',
  GLANCE_HASH_UNCHECKED:
    'Glance hashed the upload with an algorithm vmic cannot compare (not SHA-512 or SHA-256), so the Glance image was deleted.',
  NOT_LOGGED:
    "The catalog is not proved to be in the endorser's transparency log under a checkpoint signed by the pinned log key.",
  LOG_INCONSISTENT:
    "The endorser's transparency log showed two histories that cannot both be true: evidence of a split view, kept for the operator.",
  WITNESS_QUORUM_NOT_MET:
    "Fewer of the subscription's named witnesses cosigned the endorser's log checkpoint than its quorum asks, so no one independent vouched that other sites see the same log.",
  QUORUM_NOT_MET:
    'Fewer of the named endorsers endorse this exact image (the same SHA-256) in a current verified catalog than the site requires.',
  THRESHOLD_NOT_MET:
    'The catalog carries fewer valid signatures from distinct, pinned signers than the subscription expects.',
  PROVENANCE_UNVERIFIED:
    "The image is adopted from another endorser's catalog, and that catalog could not be fetched, verified under this site's trust, or does not list the same bytes.",
  PACKAGE_DENIED:
    "The image's signed software inventory lists a package version the site policy denies.",
  POLICY_NOT_MET:
    'Neither the image nor its catalog claims a policy the subscription requires (dcterms:conformsTo).',
};

export function reasonText(code: string): string {
  return Object.hasOwn(REASON_TEXT, code)
    ? REASON_TEXT[code as ReasonCode]
    : `The operation failed (${code}).`;
}
