import { Router } from 'express';
import { nullableMetadata, type Instance, type NullableMetadata } from '../../catalog/index.ts';
import type { SiteImageRow } from '../../catalog/site/site-images.ts';
import { DEFAULT_PAGE, pageOfSiteImages } from '../../catalog/site/site-image-pages.ts';
import { getSubscription } from '../../catalog/site/subscriptions.ts';
import { decideSiteImage, type DeployDecision } from '../../catalog/site/gate.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

/** One imported image with the gate's answer for it, flattened into status badges. */
export interface SiteImageStatus extends NullableMetadata {
  subscription: string;
  identifier: string;
  byteSize: number;
  sha256: string;
  downloadUrl: string;
  status: 'endorsed' | 'withdrawn';
  firstSequence: number;
  lastSequence: number;
  updatedAt: string;
  endorsed: boolean;
  approved: boolean;
  fetched: boolean;
  deployable: boolean;
  reasons: DeployDecision['reasons'];
}

export function siteImagesApi(inst: Instance): Router {
  const r = Router();

  route(
    r,
    ROUTES.siteImages,
    async ({ query }, _req, res) => {
      const { subscription, cursor } = query;
      if (subscription !== undefined) await getSubscription(inst.store.db, subscription);
      const limit = query.limit === undefined ? DEFAULT_PAGE : Number(query.limit);
      const page = await pageOfSiteImages(inst.store.db, { subscription, cursor, limit });
      // One gate decision per image of the page only: the same rules as `vmic check`, so the
      // list can never disagree with what a deployment system is told.
      const images: SiteImageStatus[] = [];
      for (const row of page.rows) images.push(withBadges(row, await decideSiteImage(inst, row)));
      res.json({ images, next: page.next ?? null });
    },
    { jsonLimitBytes: inst.config.limits.jsonBodyBytes },
  );

  return r;
}

function withBadges(row: SiteImageRow, decision: DeployDecision): SiteImageStatus {
  const has = (code: string) => decision.reasons.some((r) => r.code === code);
  return {
    subscription: row.subscription,
    identifier: row.identifier,
    ...nullableMetadata(row),
    byteSize: row.byte_size,
    sha256: row.sha256 ?? '',
    downloadUrl: row.download_url,
    status: row.status,
    firstSequence: row.first_sequence,
    lastSequence: row.last_sequence,
    updatedAt: row.updated_at,
    endorsed: !has('NOT_ENDORSED') && !has('CATALOG_EXPIRED'),
    approved: !has('NOT_APPROVED'),
    fetched: !has('NOT_FETCHED') && !has('HASH_MISMATCH'),
    deployable: decision.deployable,
    reasons: decision.reasons,
  };
}
