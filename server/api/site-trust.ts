import { Router } from 'express';
import { VmicError } from '../../pki/errors.ts';
import type { Instance } from '../../catalog/index.ts';
import { addTrustMaterial, listTrust } from '../../catalog/site/trust-store.ts';
import { actorOf } from '../auth.ts';
import { jsonBody, objectBody } from '../json-body.ts';
import { requiredString, siteAdmin, siteReader, textBody } from './site-access.ts';

/** A PEM bundle of CA certificates and CRLs; far larger than any real one (threat: endless data). */
export const TRUST_BODY_BYTES = 1024 * 1024;
const PEM_TYPES = ['application/x-pem-file', 'text/plain'];

export function siteTrustApi(inst: Instance): Router {
  const r = Router();

  r.get('/site/trust', siteReader, async (_req, res) => {
    res.json(await listTrust(inst.store.db));
  });

  // PEM as the body itself (`curl --data-binary @ca.pem`), or JSON `{pem}` for clients
  // that only speak JSON. Either way it is bounded before it is read.
  r.post(
    '/site/trust',
    siteAdmin,
    textBody(TRUST_BODY_BYTES, PEM_TYPES),
    jsonBody(TRUST_BODY_BYTES),
    async (req, res) => {
      let pem: string;
      if (req.is(PEM_TYPES)) {
        pem = typeof req.body === 'string' ? req.body : '';
      } else if (req.is('application/json')) {
        pem = requiredString(objectBody(req, ['pem']), 'pem');
      } else {
        throw new VmicError(
          'BAD_REQUEST',
          'send PEM as application/x-pem-file or text/plain, or JSON {"pem": ...}',
        );
      }
      res.json(await addTrustMaterial(inst, pem, actorOf(req)));
    },
  );

  return r;
}
