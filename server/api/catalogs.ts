import { Router } from 'express';
import {
  feedBase,
  getEndorser,
  listCatalogVersions,
  publishCatalog,
  type Instance,
} from '../../catalog/index.ts';
import { actorOf } from '../auth.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

export function catalogsApi(inst: Instance): Router {
  const r = Router();
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };

  route(
    r,
    ROUTES.publish,
    async ({ params, body }, req, res) => {
      const name = params.endorser;
      const { expiresInSeconds } = body;
      const version = await publishCatalog(inst, {
        endorser: name,
        actor: actorOf(req),
        ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
      });
      // A co-signed catalog is pending: nothing is served until its co-signers have signed.
      if (version.pending) {
        res.status(202).json(version);
        return;
      }
      res
        .status(201)
        .location(`${feedBase(inst.config.publicUrl, name)}/${version.sequence}/catalog.p7m`);
      res.json(version);
    },
    opts,
  );

  route(
    r,
    ROUTES.listCatalogs,
    async ({ params }, _req, res) => {
      await getEndorser(inst, params.endorser);
      res.json({ versions: await listCatalogVersions(inst, params.endorser) });
    },
    opts,
  );

  return r;
}
