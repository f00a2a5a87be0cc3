import { Router } from 'express';
import { VmicError } from '../errors/index.ts';
import type { Instance } from '../catalog/index.ts';
import { readApprovalFeed } from '../catalog/site/approval-feed.ts';
import { sendRepresentation } from './http-cache.ts';

/**
 * The approval feed for compute nodes (docs/design.md §4), public: a compute node fetches
 * it without credentials and trusts only its signature. `no-cache`: a cache must ask every
 * time, so that no node is handed a superseded feed that still approves a withdrawn image
 * (the verifier also refuses an older sequence than the one it holds).
 */
export function approvalFeedRouter(inst: Instance): Router {
  const r = Router();
  const files = {
    'approved.p7m': { contentType: 'application/pkcs7-mime', body: 'p7m' },
    'approved.json': { contentType: 'application/json; charset=utf-8', body: 'json' },
  } as const;
  for (const [file, f] of Object.entries(files)) {
    r.get(`/${file}`, async (req, res) => {
      const feed = await readApprovalFeed(inst.store.db);
      if (!feed)
        throw new VmicError(
          'NOT_FOUND',
          'no approval feed signed yet: set the site identity (vmic site identity set)',
        );
      const body =
        f.body === 'p7m' ? Buffer.from(feed.p7m, 'base64') : Buffer.from(feed.json, 'utf8');
      sendRepresentation(req, res, body, { contentType: f.contentType, cacheControl: 'no-cache' });
    });
  }
  return r;
}
