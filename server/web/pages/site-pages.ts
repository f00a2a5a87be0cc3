import { Router, type Request } from 'express';
import type { Instance } from '../../../catalog/index.ts';
import { addTrustMaterial, listTrust } from '../../../catalog/site/trust-store.ts';
import {
  getSubscription,
  listSubscriptions,
  setSubscriptionEnabled,
  subscribe,
} from '../../../catalog/site/subscriptions.ts';
import { setSubscriptionRequirements } from '../../../catalog/site/subscription-requirements.ts';
import {
  approveEndorser,
  approveImage,
  listApprovals,
  unapproveEndorser,
  unapproveImage,
  type Approval,
} from '../../../catalog/site/approvals.ts';
import { approvalQuorumOf } from '../../../catalog/site/approval-rows.ts';
import { findSiteImages, parseImageRef } from '../../../catalog/site/site-images.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { formatAge } from '../../../catalog/site/freshness.ts';
import { VmicError } from '../../../errors/index.ts';
import { actorOf } from '../../auth.ts';
import { siteAdmin, siteApprover, siteReader, subscriptionParam } from '../../api/site-access.ts';
import { TRUST_BODY_BYTES } from '../../api/site-trust.ts';
import { formBody, formFields } from './form-body.ts';
import { formInput, formOf } from './form-input.ts';
import {
  EndorserApprovalForm,
  ImageApprovalForm,
  SubscribeForm,
  RequirementsForm,
  TrustForm,
  witnessLines,
} from './site-forms.ts';
import { logWarningText, subscriptionLogView } from './subscription-log-view.ts';
import { reasonText } from './reason-text.ts';
import { runningJob } from '../../../catalog/site/jobs.ts';
import { jobPages } from './job-pages.ts';
import { render } from './render.ts';
import { IMAGE_STATES } from './site-image-states.ts';
import { siteImagesView } from './site-images-page.ts';

/** A CRL this close to its nextUpdate gets a warning: imports will soon fail CRL_STALE. */
export const CRL_WARNING_MS = 2 * 86400_000;

/**
 * A subscription's endorser approval as the gate counts it: approved once `quorum`
 * distinct people approved the endorser; until then who did (approval-quorum above 1).
 */
function endorserApprovalOf(approvals: readonly Approval[], name: string, quorum: number) {
  const approvers = [
    ...new Set(
      approvals
        .filter((a) => a.kind === 'endorser' && a.subscription === name)
        .map((a) => a.approvedBy),
    ),
  ];
  return {
    endorserApproved: approvers.length > 0 && approvers.length >= quorum,
    endorserApprovers: approvers,
    approvalQuorum: quorum,
  };
}

function explained(reasons: readonly { code: string; message: string }[]) {
  return reasons.map((r) => ({ ...r, text: reasonText(r.code) }));
}

/** `?k=v` notices after a redirect; only known keys, rendered as text. */
function notice(req: Request, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = req.query[k];
    if (typeof v === 'string' && v.length <= 200) out[k] = v;
  }
  return out;
}

/**
 * Site pages (docs/design.md §4). Reading needs admin, site-approver or auditor; approving
 * needs admin or site-approver; trust, subscriptions, import and fetch need admin. The
 * role guards are the JSON API's own (server/api/site-access.ts).
 */
export function sitePages(inst: Instance): Router {
  const r = Router();
  const db = inst.store.db;
  const form = formBody(inst.config.limits.jsonBodyBytes);
  const trustForm = formBody(TRUST_BODY_BYTES * 4);

  r.get('/site', siteReader, (_req, res) => res.redirect(303, '/site/images'));
  r.use(jobPages(inst));

  r.get('/site/trust', siteReader, async (req, res) => {
    const trust = await listTrust(db);
    const now = inst.now().getTime();
    const crls = trust.crls.map((c) => {
      const next = c.nextUpdate ? Date.parse(c.nextUpdate) : undefined;
      return {
        ...c,
        stale: next !== undefined && next <= now,
        nearing: next !== undefined && next > now && next - now < CRL_WARNING_MS,
      };
    });
    render(req, res, 'site-trust.njk', {
      title: 'Trust store',
      now: inst.now(),
      certificates: trust.certificates,
      crls,
      notice: notice(req, ['anchors', 'intermediates', 'crls', 'unchanged']),
    });
  });

  r.post('/site/trust', siteAdmin, trustForm, async (req, res) => {
    const { pem } = formOf(TrustForm, req);
    const added = await addTrustMaterial(inst, pem, actorOf(req));
    const q = new URLSearchParams({
      anchors: String(added.anchors.length),
      intermediates: String(added.intermediates.length),
      crls: String(added.crls.length),
      unchanged: String(added.unchanged),
    });
    res.redirect(303, `/site/trust?${q.toString()}`);
  });

  r.get('/site/subscriptions', siteReader, async (req, res) => {
    const approvals = await listApprovals(db);
    const quorum = await approvalQuorumOf(db);
    const subscriptions = await Promise.all(
      (await listSubscriptions(db, inst.now())).map(async (s) => ({
        ...s,
        catalogAge:
          s.catalog?.ageSeconds === undefined ? undefined : formatAge(s.catalog.ageSeconds),
        lastErrorText: s.lastError ? reasonText(s.lastError.code) : undefined,
        ...endorserApprovalOf(approvals, s.name, quorum),
        logView: await subscriptionLogView(db, s),
      })),
    );
    render(req, res, 'site-subscriptions.njk', {
      title: 'Subscriptions',
      now: inst.now(),
      running: runningJob(inst, 'import'),
      subscriptions,
      notice: notice(req, ['imported', 'status', 'code', 'logWarning', 'logMessage']),
      noticeText: typeof req.query.code === 'string' ? reasonText(req.query.code) : undefined,
      logWarningText: logWarningText(req.query.logWarning),
    });
  });

  r.post('/site/subscriptions', siteAdmin, form, async (req, res) => {
    const f = formOf(SubscribeForm, req);
    await subscribe(inst, {
      url: f.url,
      expectSubject: f.expectSubject,
      expectIssuer: f.expectIssuer,
      name: f.name,
      log: f.log,
      logKey: f.logKey,
      witnesses: witnessLines(f.witnesses),
      witnessQuorum: f.witnessQuorum,
      requirePolicies: witnessLines(f.requirePolicies),
      verifyProvenance: f.verifyProvenance === 'on',
      actor: actorOf(req),
    });
    res.redirect(303, '/site/subscriptions');
  });

  // The whole set as the form shows it: an emptied textarea requires no policy.
  r.post('/site/subscriptions/:name/requirements', siteAdmin, form, async (req, res) => {
    const f = formOf(RequirementsForm, req);
    await setSubscriptionRequirements(
      inst,
      subscriptionParam(req.params.name),
      {
        requirePolicies: witnessLines(f.requirePolicies),
        verifyProvenance: f.verifyProvenance === 'on',
      },
      actorOf(req),
    );
    res.redirect(303, '/site/subscriptions');
  });

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    r.post(`/site/subscriptions/:name/${action}`, siteAdmin, form, async (req, res) => {
      await setSubscriptionEnabled(inst, subscriptionParam(req.params.name), enabled, actorOf(req));
      res.redirect(303, '/site/subscriptions');
    });
  }

  r.get('/site/images', siteReader, async (req, res) => {
    render(req, res, 'site-images.njk', {
      title: 'Site images',
      ...(await siteImagesView(inst, req)),
      states: IMAGE_STATES,
      now: inst.now(),
      running: runningJob(inst, 'fetch'),
      notice: notice(req, ['fetched', 'failed', 'quarantined']),
    });
  });

  // Approve or unapprove one image version (by identifier or sha256:HEX, within its
  // subscription) or, with `endorser`, every image of a subscription.
  for (const [path, approve] of [
    ['/site/approvals', true],
    ['/site/approvals/revoke', false],
  ] as const) {
    r.post(path, siteApprover, form, async (req, res) => {
      const f = formFields(req);
      const actor = actorOf(req);
      const { endorser: subscription } = formInput(EndorserApprovalForm, f);
      if (subscription !== undefined) {
        await getSubscription(db, subscription);
        if (approve) await approveEndorser(inst, { subscription, actor });
        else await unapproveEndorser(inst, { subscription, actor });
        res.redirect(303, '/site/subscriptions');
        return;
      }
      const { image, subscription: sub } = formInput(ImageApprovalForm, f);
      if (approve) await approveImage(inst, { image, subscription: sub, actor });
      else await unapproveImage(inst, { image, subscription: sub, actor });
      res.redirect(303, '/site/images');
    });
  }

  r.get('/site/gate/:image', siteReader, async (req, res) => {
    const image = String(req.params.image);
    const q = req.query.subscription;
    if (q !== undefined && typeof q !== 'string')
      throw new VmicError('BAD_REQUEST', 'give subscription once');
    const subscription = q === undefined ? undefined : subscriptionParam(q);
    if (subscription !== undefined) await getSubscription(db, subscription);
    if (subscription === undefined) {
      // A name listed by several subscriptions is never decided for one of them (identifier
      // shadowing); the page offers each candidate's own decision instead.
      const candidates = await findSiteImages(db, parseImageRef(image));
      if (candidates.length > 1) {
        render(
          req,
          res,
          'site-gate-choose.njk',
          { title: `Gate: ${image}`, image, candidates },
          409,
        );
        return;
      }
    }
    const decision = await decideDeployment(inst, image, { subscription });
    render(req, res, 'site-gate.njk', {
      title: `Gate: ${image}`,
      now: inst.now(),
      decision,
      reasons: explained(decision.reasons),
    });
  });

  return r;
}
