import { Router } from 'express';
import type { Instance } from '../../catalog/index.ts';
import { fetchImages } from '../../catalog/site/fetch-images.ts';
import { actorOf } from '../auth.ts';
import { jsonBody, objectBody } from '../json-body.ts';
import { optionalString, siteAdmin, subscriptionParam } from './site-access.ts';

export function siteFetchApi(inst: Instance): Router {
  const r = Router();
  const json = jsonBody(inst.config.limits.jsonBodyBytes);

  // Runs `vmic fetch` in the request and answers with its summary; a mismatching image is
  // an outcome in the summary (quarantined, HASH_MISMATCH), not an HTTP error. A fetch
  // already running is a 409 CONFLICT.
  r.post('/site/fetch', siteAdmin, json, async (req, res) => {
    const subscription = optionalString(objectBody(req, ['subscription']), 'subscription');
    res.json(
      await fetchImages(inst, {
        ...(subscription === undefined ? {} : { subscription: subscriptionParam(subscription) }),
        actor: actorOf(req),
      }),
    );
  });

  return r;
}
