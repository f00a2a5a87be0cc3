import { Router } from 'express';
import type { Instance } from '../../catalog/index.ts';
import { fetchImages } from '../../catalog/site/fetch-images.ts';
import { actorOf } from '../auth.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

export function siteFetchApi(inst: Instance): Router {
  const r = Router();

  // Runs `vmic fetch` in the request and answers with its summary; a mismatching image is
  // an outcome in the summary (quarantined, HASH_MISMATCH), not an HTTP error. A fetch
  // already running is a 409 CONFLICT.
  route(
    r,
    ROUTES.fetch,
    async ({ body }, req, res) => {
      const { subscription } = body;
      res.json(
        await fetchImages(inst, {
          ...(subscription === undefined ? {} : { subscription }),
          actor: actorOf(req),
        }),
      );
    },
    { jsonLimitBytes: inst.config.limits.jsonBodyBytes },
  );

  return r;
}
