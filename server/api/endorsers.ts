import { Router } from 'express';
import { getEndorser, listEndorsers, type Instance } from '../../catalog/index.ts';
import { requirePrincipal } from '../auth.ts';
import { endorserParam } from '../params.ts';

/** Endorser identities: certificates and subjects only; the catalog API never returns keys. */
export function endorsersApi(inst: Instance): Router {
  const r = Router();
  r.get('/endorsers', requirePrincipal, async (_req, res) => {
    res.json({ endorsers: await listEndorsers(inst) });
  });
  r.get('/endorsers/:name', requirePrincipal, async (req, res) => {
    res.json(await getEndorser(inst, endorserParam(req.params.name)));
  });
  return r;
}
