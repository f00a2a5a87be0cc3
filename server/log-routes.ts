import { Router } from 'express';
import { VmicError } from '../errors/index.ts';
import type { Instance } from '../catalog/index.ts';
import { verifierKeyText } from '../tlog/index.ts';
import { logSigner } from '../catalog/log/log-key.ts';
import { catalogInclusion, consistency, currentCheckpoint } from '../catalog/log/proofs.ts';
import { parseTilePath, readTile } from '../catalog/log/tiles.ts';
import { sendRepresentation } from './http-cache.ts';

const TEXT = 'text/plain; charset=utf-8';
/** Tiles never change once written (a partial one names its width): cache them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function count(text: unknown, what: string): number {
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(text))
    throw new VmicError('BAD_REQUEST', `${what} must be a decimal number`);
  return Number(text);
}

/**
 * The instance's transparency log (docs/design.md §13), public: anyone may check it, and
 * trusts only the signature of the checkpoint (with a verifier key pinned out of band) and
 * the proofs. The checkpoint is `no-cache`: a stale one is what a split view hides behind.
 */
export function logRouter(inst: Instance): Router {
  const r = Router();
  r.get('/key', async (req, res) => {
    const body = Buffer.from(`${verifierKeyText(await logSigner(inst))}\n`);
    sendRepresentation(req, res, body, { contentType: TEXT, cacheControl: 'public, max-age=3600' });
  });
  r.get('/checkpoint', async (req, res) => {
    const c = await currentCheckpoint(inst);
    sendRepresentation(req, res, Buffer.from(c.note), {
      contentType: TEXT,
      cacheControl: 'no-cache',
    });
  });
  r.get('/proof/catalog/:endorser/:sequence', async (req, res) => {
    const answer = await catalogInclusion(
      inst,
      req.params.endorser,
      count(req.params.sequence, 'sequence'),
    );
    sendRepresentation(req, res, Buffer.from(JSON.stringify(answer)), {
      contentType: 'application/json; charset=utf-8',
      cacheControl: 'no-cache',
    });
  });
  r.get('/proof/consistency', async (req, res) => {
    const from = count(req.query.from, 'from');
    const to = count(req.query.to, 'to');
    const proof = await consistency(inst, from, to);
    sendRepresentation(req, res, Buffer.from(JSON.stringify({ from, to, proof })), {
      contentType: 'application/json; charset=utf-8',
      cacheControl: IMMUTABLE,
    });
  });
  // Express 5 gives a splat as its segments: joined back, the path is parsed strictly.
  r.get('/tile/*path', async (req, res) => {
    const segments = (req.params as { path?: string[] }).path ?? [];
    const ref = parseTilePath(segments.join('/'));
    if (!ref) throw new VmicError('NOT_FOUND', 'not a tile path');
    const c = await currentCheckpoint(inst);
    const tile = await readTile(inst.store.db, ref, c.size);
    if (!tile) throw new VmicError('NOT_FOUND', 'no such tile in the current tree');
    sendRepresentation(req, res, tile, {
      contentType: 'application/octet-stream',
      cacheControl: IMMUTABLE,
    });
  });
  return r;
}
