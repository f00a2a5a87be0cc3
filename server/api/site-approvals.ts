import { Router, type Request } from 'express';
import { VmicError } from '../../pki/errors.ts';
import type { Instance } from '../../catalog/index.ts';
import {
  approveEndorser,
  approveImage,
  listApprovals,
  unapproveEndorser,
  unapproveImage,
} from '../../catalog/site/approvals.ts';
import { actorOf } from '../auth.ts';
import { jsonBody, objectBody } from '../json-body.ts';
import {
  optionalString,
  requiredString,
  siteApprover,
  siteReader,
  subscriptionParam,
} from './site-access.ts';

/** What an approval names: one image version (by identifier or `sha256:HEX`), or a whole endorser. */
type ApprovalTarget =
  | { kind: 'image'; image: string; subscription: string | undefined }
  | { kind: 'endorser'; subscription: string };

function targetOf(req: Request): ApprovalTarget {
  const body = objectBody(req, ['image', 'subscription', 'endorser']);
  if (body.endorser !== undefined) {
    if (body.image !== undefined || body.subscription !== undefined)
      throw new VmicError('BAD_REQUEST', 'give either endorser, or image (with subscription)');
    return { kind: 'endorser', subscription: subscriptionParam(body.endorser) };
  }
  const subscription = optionalString(body, 'subscription');
  return {
    kind: 'image',
    image: requiredString(body, 'image'),
    subscription: subscription === undefined ? undefined : subscriptionParam(subscription),
  };
}

export function siteApprovalsApi(inst: Instance): Router {
  const r = Router();
  const json = jsonBody(inst.config.limits.jsonBodyBytes);

  r.get('/site/approvals', siteReader, async (_req, res) => {
    res.json({ approvals: await listApprovals(inst.store.db) });
  });

  // Idempotent: approving what is already approved returns the active approval.
  r.post('/site/approvals', siteApprover, json, async (req, res) => {
    const t = targetOf(req);
    const actor = actorOf(req);
    res.json(
      t.kind === 'endorser'
        ? await approveEndorser(inst, { subscription: t.subscription, actor })
        : await approveImage(inst, { image: t.image, subscription: t.subscription, actor }),
    );
  });

  // POST rather than DELETE with a body, which some proxies and clients drop.
  r.post('/site/approvals/revoke', siteApprover, json, async (req, res) => {
    const t = targetOf(req);
    const actor = actorOf(req);
    // An image is unapproved by the gate's own reference (identifier → its current
    // SHA-256, or sha256:HEX); the answer names any endorser approval that still covers it.
    res.json(
      t.kind === 'endorser'
        ? { revoked: await unapproveEndorser(inst, { subscription: t.subscription, actor }) }
        : await unapproveImage(inst, { image: t.image, subscription: t.subscription, actor }),
    );
  });

  return r;
}
