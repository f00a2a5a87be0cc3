import type { DesiredImage } from './desired-images.ts';
import type { GlanceImage, PatchOp } from './glance-client.ts';

/**
 * What one sync run does, decided from what Glance holds for this site (images whose
 * `vmic_site` names it) and what should be there. Pure: the same inputs give the same plan,
 * and a Glance already in the wanted state gives an empty one, so a second run with
 * nothing changed makes no Glance write.
 *
 * Order matters: images that are no longer deployable go first, broken ones next, uploads
 * last, so that a withdrawal is not held back by hours of uploading.
 */
export type PlannedAction =
  | { kind: 'deactivate' | 'delete'; image: GlanceImage; reason: RemovalReason }
  | { kind: 'reactivate' | 'update'; image: GlanceImage; desired: DesiredImage; ops: PatchOp[] }
  | { kind: 'create'; desired: DesiredImage };

export type RemovalReason =
  /** The gate no longer allows it (withdrawn, expired, unapproved, signer revoked, out of scope). */
  | 'not-deployable'
  /** An upload that never finished or was never checked (no `vmic_sha512`). */
  | 'incomplete'
  /** Glance's hash of its bytes is not the verified one (`GLANCE_HASH_MISMATCH`). */
  | 'hash-mismatch'
  /** A second copy of the same image. */
  | 'duplicate'
  /** Its disk or container format or its size is not what the catalog says. */
  | 'differs';

export interface SyncPlan {
  actions: PlannedAction[];
  /** Glance images already as wanted. */
  unchanged: number;
}

const HEX512 = /^[0-9a-f]{128}$/;
const USABLE = new Set(['active', 'deactivated']);

export function keyOf(x: { subscription: string; identifier: string; sha256: string }): string {
  return JSON.stringify([x.subscription, x.identifier, x.sha256]);
}

function glanceKey(i: GlanceImage): string {
  return keyOf({
    subscription: i.fields.vmic_subscription ?? '',
    identifier: i.fields.vmic_identifier ?? '',
    sha256: i.fields.vmic_sha256 ?? '',
  });
}

/** Whether Glance's own hash of its bytes agrees with what vmic checked when it uploaded them. */
export function hashAgrees(i: GlanceImage): boolean {
  const checked = i.fields.vmic_sha512;
  if (checked === undefined || !HEX512.test(checked)) return false;
  if (i.osHashAlgo === 'sha512') return i.osHashValue === checked;
  if (i.osHashAlgo === 'sha256') return i.osHashValue === i.fields.vmic_sha256;
  return false;
}

/** Why a Glance image cannot stand for `d`, or undefined when it can. */
function unfit(i: GlanceImage, d: DesiredImage): RemovalReason | undefined {
  if (!USABLE.has(i.status) || i.fields.vmic_sha512 === undefined) return 'incomplete';
  if (!hashAgrees(i)) return 'hash-mismatch';
  if (i.diskFormat !== d.diskFormat || i.containerFormat !== d.containerFormat || i.size !== d.size)
    return 'differs';
  return undefined;
}

/**
 * The patch that makes `i`'s name, visibility and vmic properties those of `d`. A property
 * vmic writes (`vmic_*`, `architecture`) that `d` no longer has is removed, so Glance does
 * not keep describing the image by what its catalog stopped saying; `vmic_sha512`, the
 * record of the checked upload, and everyone else's properties are left alone.
 */
export function patchFor(i: GlanceImage, d: DesiredImage): PatchOp[] {
  const ops: PatchOp[] = [];
  const want: Record<string, string> = { name: d.name, visibility: d.visibility, ...d.properties };
  for (const [k, v] of Object.entries(want))
    if (i.fields[k] !== v)
      ops.push({ op: k in i.fields ? 'replace' : 'add', path: `/${k}`, value: v });
  for (const k of Object.keys(i.fields))
    if (OWNED.test(k) && k !== 'vmic_sha512' && !(k in want))
      ops.push({ op: 'remove', path: `/${k}` });
  return ops;
}

const OWNED = /^(vmic_[a-z0-9_]+|architecture)$/;

export function planSync(
  desired: readonly DesiredImage[],
  existing: readonly GlanceImage[],
  withdrawn: 'deactivate' | 'delete',
): SyncPlan {
  const wanted = new Map(desired.map((d) => [keyOf(d), d]));
  const removals: PlannedAction[] = [];
  const repairs: PlannedAction[] = [];
  const uploads: PlannedAction[] = [];
  let unchanged = 0;
  const kept = new Set<string>();

  // Existing images in id order, so that which copy is kept does not depend on listing order.
  const sorted = [...existing].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byKey = new Map<string, GlanceImage[]>();
  for (const i of sorted) byKey.set(glanceKey(i), [...(byKey.get(glanceKey(i)) ?? []), i]);

  for (const [key, images] of byKey) {
    const d = wanted.get(key);
    if (!d) {
      for (const i of images) {
        if (!USABLE.has(i.status))
          removals.push({ kind: 'delete', image: i, reason: 'incomplete' });
        else if (withdrawn === 'delete')
          removals.push({ kind: 'delete', image: i, reason: 'not-deployable' });
        else if (i.status === 'active')
          removals.push({ kind: 'deactivate', image: i, reason: 'not-deployable' });
        else unchanged++;
      }
      continue;
    }
    // Prefer an active copy that fits; a deactivated one is reactivated only if none is.
    const fits = images.filter((i) => unfit(i, d) === undefined);
    const keep = fits.find((i) => i.status === 'active') ?? fits[0];
    for (const i of images) {
      if (i === keep) continue;
      removals.push({ kind: 'delete', image: i, reason: unfit(i, d) ?? 'duplicate' });
    }
    if (!keep) continue;
    kept.add(key);
    const ops = patchFor(keep, d);
    if (keep.status === 'deactivated')
      repairs.push({ kind: 'reactivate', image: keep, desired: d, ops });
    else if (ops.length) repairs.push({ kind: 'update', image: keep, desired: d, ops });
    else unchanged++;
  }
  for (const [key, d] of wanted) if (!kept.has(key)) uploads.push({ kind: 'create', desired: d });

  // Removals of what is not deployable first (see the comment at the top), then repairs.
  const isFirst = (a: PlannedAction) => a.kind !== 'delete' || a.reason === 'not-deployable';
  const first = removals.filter(isFirst);
  const rest = removals.filter((a) => !isFirst(a));
  return { actions: [...first, ...rest, ...repairs, ...uploads], unchanged };
}
