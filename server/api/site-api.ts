import { Router } from 'express';
import type { Instance } from '../../catalog/index.ts';
import { siteTrustApi } from './site-trust.ts';
import { siteSubscriptionsApi } from './site-subscriptions.ts';
import { siteImagesApi } from './site-images.ts';
import { siteApprovalsApi } from './site-approvals.ts';
import { siteGateApi } from './site-gate.ts';
import { sitePolicyApi } from './site-policy.ts';
import { siteFetchApi } from './site-fetch.ts';
import { siteInventoryApi } from './site-inventory.ts';

/** The site half of the JSON API (docs/design.md §4), mounted under /api/v1. */
export function siteApi(inst: Instance): Router {
  return Router().use(
    siteGateApi(inst),
    siteTrustApi(inst),
    siteSubscriptionsApi(inst),
    siteImagesApi(inst),
    siteApprovalsApi(inst),
    sitePolicyApi(inst),
    siteFetchApi(inst),
    siteInventoryApi(inst),
  );
}
