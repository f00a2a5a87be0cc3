import express, { Router } from 'express';
import { VmicError } from '../errors/index.ts';
import type { Instance } from '../catalog/index.ts';
import { cosignerKeyText } from '../tlog/index.ts';
import { witnessCosigner } from '../catalog/log/log-key.ts';
import {
  addCheckpoint,
  heldCheckpoint,
  MAX_REQUEST_BYTES,
} from '../catalog/witness/add-checkpoint.ts';

const TEXT = 'text/plain; charset=utf-8';

/**
 * The witness role (C2SP tlog-witness, docs/design.md §13), public like the log: any
 * caller may submit a checkpoint, and only a checkpoint signed by the key of a log this
 * instance follows, and consistent with what it saw, reaches the write lock (threat: an
 * anonymous caller queueing writes; a request that fails a signature is answered first).
 */
export function witnessRouter(inst: Instance): Router {
  const r = Router();
  r.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  r.get('/key', async (_req, res) => {
    res.type(TEXT).send(`${cosignerKeyText(await witnessCosigner(inst))}\n`);
  });
  r.post(
    '/add-checkpoint',
    express.raw({ type: () => true, limit: MAX_REQUEST_BYTES }),
    async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const reply = await addCheckpoint(inst, body);
      // Set as given and sent as bytes: express would add a charset to a string's type,
      // and witness clients match `text/x.tlog.size` exactly.
      res.status(reply.status).setHeader('Content-Type', reply.contentType);
      res.end(Buffer.from(reply.body, 'utf8'));
    },
  );
  r.get('/checkpoint', async (req, res) => {
    const origin = req.query.origin;
    if (typeof origin !== 'string' || origin.length === 0 || origin.length > 1000)
      throw new VmicError('BAD_REQUEST', 'origin is required');
    const note = await heldCheckpoint(inst, origin);
    if (!note) throw new VmicError('NOT_FOUND', `no checkpoint of ${origin} witnessed here`);
    res.type(TEXT).send(note);
  });
  return r;
}
