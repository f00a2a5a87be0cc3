import { Router } from 'express';
import {
  feedBase,
  getEndorser,
  listCatalogVersions,
  publishCatalog,
  type Instance,
} from '../../catalog/index.ts';
import { VmicError } from '../../errors/index.ts';
import { listPending, pendingRow, readPendingNQuads } from '../../catalog/cosign/pending.ts';
import { signPending } from '../../catalog/cosign/sign.ts';
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

  route(
    r,
    ROUTES.getPending,
    async ({ params }, _req, res) => {
      const [pending] = await listPending(inst, params.endorser);
      if (!pending) {
        await getEndorser(inst, params.endorser);
        throw new VmicError('NOT_FOUND', `${params.endorser} has no pending catalog`);
      }
      res.json(pending);
    },
    opts,
  );

  route(
    r,
    ROUTES.getPendingNQuads,
    async ({ params }, _req, res) => {
      const row = await pendingRow(inst.store.db, params.endorser);
      res.type('application/n-quads').send(await readPendingNQuads(inst, row));
    },
    opts,
  );

  route(
    r,
    ROUTES.cosign,
    async ({ params, body }, req, res) => {
      const signature = Buffer.from(body.signature, 'base64');
      if (signature.toString('base64').replace(/=+$/, '') !== body.signature.replace(/=+$/, ''))
        throw new VmicError('BAD_REQUEST', 'signature: not canonical base64');
      const outcome = await signPending(inst, {
        endorser: params.endorser,
        as: body.signer,
        signature,
        actor: actorOf(req),
      });
      if (outcome.published)
        res
          .status(201)
          .location(
            `${feedBase(inst.config.publicUrl, params.endorser)}/${outcome.sequence}/catalog.p7m`,
          );
      res.json(outcome);
    },
    opts,
  );

  return r;
}
