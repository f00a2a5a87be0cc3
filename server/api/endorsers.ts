import { Router } from 'express';
import { getEndorser, listEndorsers, type Instance } from '../../catalog/index.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';
import { getEndorserClaims, setEndorserClaims } from '../../catalog/policy-claims.ts';
import { actorOf } from '../auth.ts';

/** Endorser identities: certificates and subjects only; the catalog API never returns keys. */
export function endorsersApi(inst: Instance): Router {
  const r = Router();
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };
  route(
    r,
    ROUTES.listEndorsers,
    async (_in, _req, res) => {
      res.json({ endorsers: await listEndorsers(inst) });
    },
    opts,
  );
  route(
    r,
    ROUTES.getEndorser,
    async ({ params }, _req, res) => {
      res.json(await getEndorser(inst, params.endorser));
    },
    opts,
  );
  route(
    r,
    ROUTES.getEndorserClaims,
    async ({ params }, _req, res) => {
      const conformsTo = await getEndorserClaims(inst.store.db, params.endorser);
      res.json({ endorser: params.endorser, conformsTo });
    },
    opts,
  );
  route(
    r,
    ROUTES.setEndorserClaims,
    async ({ params, body }, req, res) => {
      res.json(
        await setEndorserClaims(inst, {
          endorser: params.endorser,
          conformsTo: body.conformsTo,
          actor: actorOf(req),
        }),
      );
    },
    opts,
  );
  return r;
}
