import { sql } from 'kysely';
import type { Queryable } from '../store/database.ts';
import type { CacheEntryTable } from '../store/schema.ts';
import type { Approval } from './approvals.ts';
import type { GateCatalog } from './gate-facts.ts';
import type { KeptSignerCheck } from './signer-checks.ts';
import { TRUST_GENERATION } from './signer-checks.ts';
import type { ImageRef, SiteImageRow } from './site-images.ts';
import {
  POLICY_CLAIM_COLUMNS,
  policyClaimFacts,
  type PolicyClaimFacts,
} from './gate-policy-claims.ts';

/** Everything one listing's decision is judged on, read by one statement. */
export interface GateRow {
  image: SiteImageRow;
  catalog: GateCatalog | undefined;
  /** The site policy's max-catalog-age as stored (text), if set. */
  maxCatalogAge: string | null;
  /** The site policy's approval-quorum and endorsement-quorum as stored, if set. */
  approvalQuorum: string | null;
  endorsementQuorum: string | null;
  approval: Approval | undefined;
  cacheEntry: CacheEntryTable | undefined;
  signerCheck: KeptSignerCheck | undefined;
  trustGeneration: string;
  /** Required policies and the claims held, when the subscription requires any. */
  policyClaims: PolicyClaimFacts | undefined;
  /** The site policy's deny-package rules as stored (one a line), if set; and the image's SBOM row. */
  denyPackage: string | null;
  sbom: { state: string; reason: string | null; actual_sha256: string | null } | undefined;
}

/** Which listings: by reference (optionally in one subscription), or one row by its key. */
export type GateSelector =
  | { ref: ImageRef; subscription?: string | undefined }
  | { subscriptionId: number; identifier: string };

/*
 * One statement per decision, over indexes only: the listing (site_images by identifier or
 * SHA-256), its subscription, the newest catalog (the covering index site_catalogs_gate),
 * the approving approval (an image approval of these bytes first, then an endorser
 * approval, oldest first, as approval-rule.ts decides), the cache entry, the kept signer
 * check, the trust generation and the policy's max-catalog-age and quorums. The deploy gate is asked
 * before every VM boot; a statement each for these was most of an answer's time.
 *
 * `c.sequence >= max(...)` is `=` (nothing exceeds the maximum), written so that SQLite
 * reads the newest catalog from the covering index site_catalogs_gate: with `=` it picks
 * the unique (subscription_id, sequence) index and then the row, walking past the stored
 * catalog (megabytes) to reach the columns after it.
 */
export async function readGateRows(db: Queryable, sel: GateSelector): Promise<GateRow[]> {
  const where =
    'ref' in sel
      ? sql.join(
          [
            sel.ref.kind === 'sha256'
              ? sql`si.sha256 = ${sel.ref.sha256}`
              : sql`si.identifier = ${sel.ref.identifier}`,
            ...(sel.subscription !== undefined ? [sql`s.name = ${sel.subscription}`] : []),
          ],
          sql` and `,
        )
      : sql`si.subscription_id = ${sel.subscriptionId} and si.identifier = ${sel.identifier}`;
  const result = await sql<Record<string, unknown>>`
    select si.*, s.name as subscription, s.enabled as subscription_enabled,
      c.sequence as "c.sequence", c.issued_at as "c.issued_at", c.expires_at as "c.expires_at",
      c.format as "c.format", c.signer_subject as "c.signer_subject",
      c.verified_at as "c.verified_at",
      a.id as "a.id", a.kind as "a.kind", a.identifier as "a.identifier", a.sha256 as "a.sha256",
      a.approved_by as "a.approved_by", a.approved_at as "a.approved_at",
      ce.sha256 as "ce.sha256", ce.byte_size as "ce.byte_size", ce.state as "ce.state",
      ce.reason as "ce.reason", ce.actual_sha256 as "ce.actual_sha256", ce.source as "ce.source",
      ce.source_detail as "ce.source_detail", ce.updated_at as "ce.updated_at",
      ce.sha512 as "ce.sha512",
      sc.sequence as "sc.sequence", sc.verified_at as "sc.verified_at",
      sc.trust_generation as "sc.trust_generation", sc.outcome as "sc.outcome", sc.code as "sc.code",
      sc.message as "sc.message", sc.valid_from as "sc.valid_from", sc.valid_until as "sc.valid_until",
      (select value from site_policy where key = 'max-catalog-age') as "p.max_catalog_age",
      (select value from site_policy where key = 'approval-quorum') as "p.approval_quorum",
      (select value from site_policy where key = 'endorsement-quorum') as "p.endorsement_quorum",
      (select value from site_policy where key = 'deny-package') as "p.deny_package",
      sb.state as "sb.state", sb.reason as "sb.reason", sb.actual_sha256 as "sb.actual_sha256",
      ${TRUST_GENERATION} as "t.generation",
      ${POLICY_CLAIM_COLUMNS}
    from site_images si
    join subscriptions s on s.id = si.subscription_id
    left join site_catalogs c on c.subscription_id = si.subscription_id
      and c.sequence >= (select max(sequence) from site_catalogs
                         where subscription_id = si.subscription_id)
    left join approvals a on a.id = (
      select id from approvals
      where subscription_id = si.subscription_id and revoked_at is null
        and (kind = 'endorser' or (kind = 'image' and si.sha256 is not null and sha256 = si.sha256))
      order by case kind when 'image' then 0 else 1 end, id
      limit 1)
    left join cache_entries ce on ce.sha256 = si.sha256
    left join gate_signer_checks sc on sc.subscription_id = si.subscription_id
    left join site_sboms sb on sb.sha256 = si.sbom_sha256
    where ${where}
    order by s.name`.execute(db);
  return result.rows.map(toGateRow);
}

/** Splits the prefixed columns of one result row back into their tables' shapes. */
function toGateRow(r: Record<string, unknown>): GateRow {
  const image: Record<string, unknown> = {};
  // Joined columns are named `table.column`: a name no site_images column can have.
  for (const [k, v] of Object.entries(r)) if (!k.includes('.')) image[k] = v;
  const s = (k: string) => r[k] as string;
  const n = (k: string) => r[k] as number;
  const ns = (k: string) => r[k] as string | null;
  return {
    image: image as SiteImageRow,
    catalog:
      r['c.sequence'] === null
        ? undefined
        : {
            sequence: n('c.sequence'),
            issued_at: s('c.issued_at'),
            expires_at: s('c.expires_at'),
            format: s('c.format') as GateCatalog['format'],
            signer_subject: s('c.signer_subject'),
            verified_at: s('c.verified_at'),
          },
    maxCatalogAge: ns('p.max_catalog_age'),
    approvalQuorum: ns('p.approval_quorum'),
    endorsementQuorum: ns('p.endorsement_quorum'),
    denyPackage: ns('p.deny_package'),
    sbom:
      r['sb.state'] === null || r['sb.state'] === undefined
        ? undefined
        : { state: s('sb.state'), reason: ns('sb.reason'), actual_sha256: ns('sb.actual_sha256') },
    approval:
      r['a.id'] === null
        ? undefined
        : {
            id: n('a.id'),
            subscription: s('subscription'),
            kind: s('a.kind') as Approval['kind'],
            identifier: ns('a.identifier') ?? undefined,
            sha256: ns('a.sha256') ?? undefined,
            approvedBy: s('a.approved_by'),
            approvedAt: s('a.approved_at'),
          },
    cacheEntry:
      r['ce.sha256'] === null
        ? undefined
        : {
            sha256: s('ce.sha256'),
            byte_size: n('ce.byte_size'),
            state: s('ce.state') as CacheEntryTable['state'],
            reason: ns('ce.reason'),
            actual_sha256: ns('ce.actual_sha256'),
            source: s('ce.source'),
            source_detail: ns('ce.source_detail'),
            updated_at: s('ce.updated_at'),
            sha512: ns('ce.sha512'),
          },
    signerCheck:
      r['sc.sequence'] === null
        ? undefined
        : {
            sequence: n('sc.sequence'),
            verified_at: s('sc.verified_at'),
            trust_generation: s('sc.trust_generation'),
            outcome: s('sc.outcome') as KeptSignerCheck['outcome'],
            code: ns('sc.code'),
            message: ns('sc.message'),
            valid_from: ns('sc.valid_from'),
            valid_until: ns('sc.valid_until'),
          },
    trustGeneration: s('t.generation'),
    policyClaims: policyClaimFacts(r, (image as SiteImageRow).conforms_to),
  };
}
