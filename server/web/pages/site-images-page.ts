import type { Request } from 'express';
import type { Instance } from '../../../catalog/index.ts';
import { decideSiteImage, type DeployDecision } from '../../../catalog/site/gate.ts';
import { readPolicy } from '../../../catalog/site/policy.ts';
import { gateRefOf, type SiteImageRow } from '../../../catalog/site/site-images.ts';
import {
  countSiteImages,
  pageOfSiteImages,
  parseCursor,
} from '../../../catalog/site/site-image-pages.ts';
import { getSubscription } from '../../../catalog/site/subscriptions.ts';
import type { ImageState } from '../../../catalog/site/health-rules.ts';
import { VmicError } from '../../../errors/index.ts';
import { subscriptionParam } from '../../api/site-access.ts';
import { reasonText } from './reason-text.ts';
import { adoptTargets } from './adopt-pages.ts';
import { imageStatesOf, stateParam } from './site-image-states.ts';

/** Rows shown per page of /site/images. */
export const WEB_PAGE = 50;
/**
 * Rows a `?state=` page may decide while looking for WEB_PAGE matches: rare matches among
 * thousands of images would otherwise decide them all in one request (threat: unbounded
 * work per request). The page then says how far it looked and links on from there.
 */
export const WEB_SCAN = 500;

/** The badges of one imported image, from the gate's own decision (the same rules as `vmic check`). */
function badgesOf(codes: readonly string[]) {
  const has = (c: string) => codes.includes(c);
  return {
    endorsed: !has('NOT_ENDORSED') && !has('CATALOG_EXPIRED'),
    approved: !has('NOT_APPROVED'),
    fetched: !has('NOT_FETCHED') && !has('HASH_MISMATCH'),
  };
}

function listed(row: SiteImageRow, d: DeployDecision, states: ImageState[]) {
  return {
    states,
    row,
    // A foreign identifier could itself read as `sha256:...`; the hash names it unambiguously.
    ref: gateRefOf(row) ?? row.identifier,
    deployable: d.deployable,
    ...badgesOf(d.reasons.map((x) => x.code)),
    imageApproved: d.approval?.kind === 'image',
    // Under approval-quorum, who approved so far is shown with NOT_APPROVED.
    approvalQuorum: d.approvalQuorum !== undefined,
    reasons: d.reasons.map((r) => ({ ...r, text: reasonText(r.code) })),
  };
}

/** A query parameter given at most once, as text; absent or empty reads as undefined. */
function once(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new VmicError('BAD_REQUEST', `give ${name} once`);
  return v;
}

/**
 * One page of /site/images: the rows after `?cursor=` (within `?subscription=`), each
 * decided through the gate. With `?state=`, rows are decided until WEB_PAGE of them are in
 * that state or WEB_SCAN have been looked at; `next` continues after the last one looked at.
 */
export async function siteImagesView(inst: Instance, req: Request) {
  const db = inst.store.db;
  const state = stateParam(req.query.state);
  const sub = once(req, 'subscription');
  const subscription = sub === undefined ? undefined : subscriptionParam(sub);
  if (subscription !== undefined) await getSubscription(db, subscription);
  const cursor = once(req, 'cursor');
  const start = cursor === undefined ? undefined : parseCursor(cursor);
  const { fetchScope } = await readPolicy(db);
  const images = [];
  let scanned = 0;
  let next = cursor;
  do {
    const want =
      state === undefined ? WEB_PAGE : Math.min(WEB_PAGE - images.length, WEB_SCAN - scanned);
    const page = await pageOfSiteImages(db, { subscription, cursor: next, limit: want });
    for (const row of page.rows) {
      const d = await decideSiteImage(inst, row);
      const states = imageStatesOf(d, fetchScope);
      if (state === undefined || states.includes(state)) images.push(listed(row, d, states));
    }
    scanned += page.rows.length;
    next = page.next;
  } while (
    state !== undefined &&
    next !== undefined &&
    images.length < WEB_PAGE &&
    scanned < WEB_SCAN
  );
  const before =
    start === undefined ? 0 : await countSiteImages(db, { subscription, through: start });
  // Page links keep the filters; the first page is the one without a cursor.
  const href = (c: string | undefined) => {
    const q = new URLSearchParams();
    if (state !== undefined) q.set('state', state);
    if (subscription !== undefined) q.set('subscription', subscription);
    if (c !== undefined) q.set('cursor', c);
    return q.size ? `/site/images?${q.toString()}` : '/site/images';
  };
  return {
    images,
    // "Adopt" for an admin who is also an endorser here (adopt-pages.ts).
    adoptAs: await adoptTargets(inst, req),
    state,
    subscription,
    total: await countSiteImages(db, { subscription }),
    // Positions in the whole list (1-based) of the rows this page looked at.
    from: before + 1,
    to: before + scanned,
    nextHref: next === undefined ? undefined : href(next),
    firstHref: cursor === undefined ? undefined : href(undefined),
  };
}
