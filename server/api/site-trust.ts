import { Router } from 'express';
import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../../catalog/index.ts';
import { addTrustMaterial, listTrust } from '../../catalog/site/trust-store.ts';
import { actorOf } from '../auth.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';
import { textBody } from './site-access.ts';

/** A PEM bundle of CA certificates and CRLs; far larger than any real one (threat: endless data). */
export const TRUST_BODY_BYTES = ROUTES.addTrust.body.limitBytes;
const PEM_TYPES = Object.keys(ROUTES.addTrust.body.types);

export function siteTrustApi(inst: Instance): Router {
  const r = Router();
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };

  route(
    r,
    ROUTES.listTrust,
    async (_in, _req, res) => {
      res.json(await listTrust(inst.store.db));
    },
    opts,
  );

  // PEM as the body itself (`curl --data-binary @ca.pem`), or JSON `{pem}` for clients
  // that only speak JSON. Either way it is bounded before it is read.
  route(
    r,
    ROUTES.addTrust,
    async ({ body }, req, res) => {
      let pem: string;
      if (body !== undefined) {
        if (body.pem === '') throw new VmicError('BAD_REQUEST', 'pem is required');
        pem = body.pem;
      } else if (req.is(PEM_TYPES)) {
        pem = typeof req.body === 'string' ? req.body : '';
      } else {
        throw new VmicError(
          'BAD_REQUEST',
          'send PEM as application/x-pem-file or text/plain, or JSON {"pem": ...}',
        );
      }
      res.json(await addTrustMaterial(inst, pem, actorOf(req)));
    },
    { ...opts, before: [textBody(TRUST_BODY_BYTES, PEM_TYPES)] },
  );

  return r;
}
