import { Router, type Request } from 'express';
import { VmicError } from '../../pki/errors.ts';
import {
  feedBase,
  getEndorser,
  listCatalogVersions,
  publishCatalog,
  type Instance,
} from '../../catalog/index.ts';
import { actorOf, requireEndorserRole, requirePrincipal } from '../auth.ts';
import { endorserParam } from '../params.ts';
import { jsonBody, objectBody } from '../json-body.ts';

export function catalogsApi(inst: Instance): Router {
  const r = Router();
  const endorser = (req: Request) => endorserParam(req.params.name);

  r.post(
    '/endorsers/:name/publish',
    requireEndorserRole(endorser),
    jsonBody(inst.config.limits.jsonBodyBytes),
    async (req, res) => {
      const name = endorser(req);
      const { expiresInSeconds } = objectBody(req, ['expiresInSeconds']);
      if (expiresInSeconds !== undefined && typeof expiresInSeconds !== 'number')
        throw new VmicError('BAD_REQUEST', 'expiresInSeconds must be a number');
      const version = await publishCatalog(inst, {
        endorser: name,
        actor: actorOf(req),
        ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
      });
      res
        .status(201)
        .location(`${feedBase(inst.config.publicUrl, name)}/${version.sequence}/catalog.p7m`);
      res.json(version);
    },
  );

  r.get('/endorsers/:name/catalogs', requirePrincipal, async (req, res) => {
    const name = endorser(req);
    await getEndorser(inst, name);
    res.json({ versions: await listCatalogVersions(inst, name) });
  });

  return r;
}
