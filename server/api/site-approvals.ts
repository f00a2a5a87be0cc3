import { Router } from 'express';
import type { Static } from '@sinclair/typebox';
import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../../catalog/index.ts';
import {
  approveEndorser,
  approveImage,
  listApprovals,
  unapproveEndorser,
  unapproveImage,
} from '../../catalog/site/approvals.ts';
import { actorOf } from '../auth.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';
import type { ApprovalTarget as TargetBody } from '../api-schema/schemas.ts';

/** What an approval names: one image version (by identifier or `sha256:HEX`), or a whole endorser. */
type ApprovalTarget =
  | { kind: 'image'; image: string; subscription: string | undefined }
  | { kind: 'endorser'; subscription: string };

function targetOf(body: Static<typeof TargetBody>): ApprovalTarget {
  if (body.endorser !== undefined) {
    if (body.image !== undefined || body.subscription !== undefined)
      throw new VmicError('BAD_REQUEST', 'give either endorser, or image (with subscription)');
    return { kind: 'endorser', subscription: body.endorser };
  }
  if (body.image === undefined || body.image === '')
    throw new VmicError('BAD_REQUEST', 'image is required', { rule: '/body/image' });
  return { kind: 'image', image: body.image, subscription: body.subscription };
}

export function siteApprovalsApi(inst: Instance): Router {
  const r = Router();
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };

  route(
    r,
    ROUTES.listApprovals,
    async (_in, _req, res) => {
      res.json({ approvals: await listApprovals(inst.store.db) });
    },
    opts,
  );

  // Idempotent: approving what is already approved returns the active approval.
  route(
    r,
    ROUTES.approve,
    async ({ body }, req, res) => {
      const t = targetOf(body);
      const actor = actorOf(req);
      res.json(
        t.kind === 'endorser'
          ? await approveEndorser(inst, { subscription: t.subscription, actor })
          : await approveImage(inst, { image: t.image, subscription: t.subscription, actor }),
      );
    },
    opts,
  );

  // POST rather than DELETE with a body, which some proxies and clients drop.
  route(
    r,
    ROUTES.revokeApproval,
    async ({ body }, req, res) => {
      const t = targetOf(body);
      const actor = actorOf(req);
      // An image is unapproved by the gate's own reference (identifier → its current
      // SHA-256, or sha256:HEX); the answer names any endorser approval that still covers it.
      res.json(
        t.kind === 'endorser'
          ? { revoked: await unapproveEndorser(inst, { subscription: t.subscription, actor }) }
          : await unapproveImage(inst, { image: t.image, subscription: t.subscription, actor }),
      );
    },
    opts,
  );

  return r;
}
