import { Router } from 'express';
import type { Instance } from '../../catalog/index.ts';
import { searchInventory } from '../../catalog/site/inventory/search.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

/**
 * `GET /api/v1/site/inventory?name=…&version=…[&all=true]`: the images whose verified
 * software inventory contains a package, each with the deploy gate's answer (the same
 * search as `vmic inventory search`). A malformed name or constraint is a 400.
 */
export function siteInventoryApi(inst: Instance): Router {
  const r = Router();
  route(
    r,
    ROUTES.siteInventory,
    async ({ query }, _req, res) => {
      const text = query.version === undefined ? query.name : `${query.name}@${query.version}`;
      res.json(await searchInventory(inst, text, { all: query.all === 'true' }));
    },
    { jsonLimitBytes: inst.config.limits.jsonBodyBytes },
  );
  return r;
}
