import { Router } from 'express';
import { VmicError } from '../../pki/errors.ts';
import type { Instance } from '../../catalog/index.ts';
import { receiveTransfer } from '../../catalog/migration/receive.ts';
import { getSiteIdentity } from '../../catalog/migration/site-identity.ts';

/**
 * Site-to-site endpoints (DESIGN.md §8). They take no bearer token: a transfer is
 * authenticated by its signed manifest (a known peer's certificate, addressed to this
 * site, fresh, unseen), checked before any ciphertext is read; the identity is public.
 */
export function transfersApi(inst: Instance): Router {
  const r = Router();

  r.get('/site/identity', async (_req, res) => {
    const id = await getSiteIdentity(inst);
    res.json({
      subject: id.subject,
      issuer: id.issuer,
      certificatePem: id.certificatePem,
      chainPem: id.chainPem,
    });
  });

  r.post('/transfers', async (req, res) => {
    if (!req.is('application/vnd.vmic.transfer')) {
      throw new VmicError('BAD_REQUEST', 'a transfer is sent as application/vnd.vmic.transfer');
    }
    const received = await receiveTransfer(inst, req, {
      via: `http from ${req.socket.remoteAddress ?? 'unknown'}`,
      actor: 'peer-transfer',
    });
    res.status(201).json({ state: 'imported', ...received });
  });

  return r;
}
