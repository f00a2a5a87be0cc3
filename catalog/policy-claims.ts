import { VmicError } from '../errors/index.ts';
import type { Instance } from './instance.ts';
import { appendAudit } from './audit/audit-log.ts';
import { findImage, getImage, type Image } from './image-queries.ts';
import type { Queryable } from './store/database.ts';
import { writeTransaction, type Tx } from './store/write-transaction.ts';
import { checkClaimList } from './policy-iri.ts';

/*
 * The endorser's side of policy claims (docs/design.md §2, issue 19): which policies an
 * image, or every image of the catalog, conforms to (`dcterms:conformsTo` with the policy's
 * IRI, e.g. the EGI/WLCG policy on the endorsement and operation of VM images). A claim is
 * signed with the next published catalog; sites that require a policy gate on it
 * (catalog/site/gate-policy-claims.ts). Every change is audited with the list before and
 * after, so that a claim dropped (and sites then refusing) is traceable.
 */

/** Checked claims: valid IRIs, distinct, sorted, at most MAX_CLAIMS. BAD_REQUEST otherwise. */
export function checkClaims(iris: readonly unknown[]): string[] {
  const r = checkClaimList(iris);
  if ('problem' in r) throw new VmicError('BAD_REQUEST', r.problem, { rule: 'conformsTo' });
  return r.claims;
}

/** The column value: null for none, so that "no claim" has one representation. */
export function claimsColumn(claims: readonly string[]): string | null {
  return claims.length ? JSON.stringify(claims) : null;
}

function parseClaims(json: string | null): string[] {
  return json === null ? [] : (JSON.parse(json) as string[]);
}

/**
 * Replaces an image's claims inside the caller's transaction (also images.ts on patch),
 * audited with the list before: a dropped claim makes sites that require it refuse.
 */
export async function replaceImageClaims(
  inst: Instance,
  tx: Tx,
  img: Image,
  claims: readonly string[],
  actor: string,
): Promise<void> {
  await tx
    .updateTable('images')
    .set({ conforms_to: claimsColumn(claims), updated_at: inst.now().toISOString() })
    .where('id', '=', img.id)
    .execute();
  await appendAudit(tx, {
    at: inst.now(),
    actor,
    action: 'image.claims-set',
    subject: `${img.endorser}/${img.identifier}`,
    details: { conformsTo: claims, previous: img.conformsTo ?? [] },
  });
}

/**
 * `vmic image conforms-to`: replaces the image's list (empty clears it). Takes effect in the
 * next published catalog, where the publish preview shows the image as changed.
 */
export async function setImageClaims(
  inst: Instance,
  input: {
    identifier: string;
    endorser?: string | undefined;
    conformsTo: readonly unknown[];
    actor: string;
  },
): Promise<Image> {
  const claims = checkClaims(input.conformsTo);
  return writeTransaction(inst.store, async (tx) => {
    const img = await findImage(inst, input.identifier, input.endorser, tx);
    await replaceImageClaims(inst, tx, img, claims, input.actor);
    return getImage(inst, img.endorser, img.identifier, tx);
  });
}

/** The endorser's claims for its whole catalog (every image conforms). */
export async function getEndorserClaims(db: Queryable, endorser: string): Promise<string[]> {
  const row = await db
    .selectFrom('endorsers')
    .select('conforms_to')
    .where('name', '=', endorser)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no endorser named ${endorser}`);
  return parseClaims(row.conforms_to);
}

/** `vmic endorser conforms-to`: replaces the catalog-level list (empty clears it). */
export async function setEndorserClaims(
  inst: Instance,
  input: { endorser: string; conformsTo: readonly unknown[]; actor: string },
): Promise<{ endorser: string; conformsTo: string[] }> {
  const claims = checkClaims(input.conformsTo);
  return writeTransaction(inst.store, async (tx) => {
    const previous = await getEndorserClaims(tx, input.endorser);
    await tx
      .updateTable('endorsers')
      .set({ conforms_to: claimsColumn(claims) })
      .where('name', '=', input.endorser)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'endorser.claims-set',
      subject: input.endorser,
      details: { conformsTo: claims, previous },
    });
    return { endorser: input.endorser, conformsTo: claims };
  });
}
