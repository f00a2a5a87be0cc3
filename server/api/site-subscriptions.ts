import { Router } from 'express';
import type { Instance } from '../../catalog/index.ts';
import {
  getSubscription,
  listSubscriptions,
  removeSubscription,
  setSubscriptionEnabled,
  subscribe,
} from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { setSubscriptionRequirements } from '../../catalog/site/subscription-requirements.ts';
import { actorOf } from '../auth.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

export function siteSubscriptionsApi(inst: Instance): Router {
  const r = Router();
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };

  route(
    r,
    ROUTES.listSubscriptions,
    async (_in, _req, res) => {
      res.json({ subscriptions: await listSubscriptions(inst.store.db, inst.now()) });
    },
    opts,
  );

  route(
    r,
    ROUTES.subscribe,
    async ({ body }, req, res) => {
      const sub = await subscribe(inst, {
        url: body.url,
        expectSubject: body.expectSubject,
        expectIssuer: body.expectIssuer,
        name: body.name,
        log: body.log,
        logKey: body.logKey,
        witnesses: body.witnesses,
        witnessQuorum: body.witnessQuorum,
        expectSigners: body.expectSigners,
        coSigners: body.coSigners,
        requirePolicies: body.requirePolicies,
        verifyProvenance: body.verifyProvenance,
        actor: actorOf(req),
      });
      res.status(201).location(`${req.baseUrl}/site/subscriptions/${sub.name}`);
      res.json(sub);
    },
    opts,
  );

  route(
    r,
    ROUTES.getSubscription,
    async ({ params }, _req, res) => {
      res.json(await getSubscription(inst.store.db, params.subscription, inst.now()));
    },
    opts,
  );

  route(
    r,
    ROUTES.setSubscriptionRequirements,
    async ({ params, body }, req, res) => {
      res.json(await setSubscriptionRequirements(inst, params.subscription, body, actorOf(req)));
    },
    opts,
  );

  route(
    r,
    ROUTES.enableSubscription,
    async ({ params }, req, res) => {
      res.json(await setSubscriptionEnabled(inst, params.subscription, true, actorOf(req)));
    },
    opts,
  );

  route(
    r,
    ROUTES.disableSubscription,
    async ({ params }, req, res) => {
      res.json(await setSubscriptionEnabled(inst, params.subscription, false, actorOf(req)));
    },
    opts,
  );

  route(
    r,
    ROUTES.removeSubscription,
    async ({ params }, req, res) => {
      await removeSubscription(inst, params.subscription, actorOf(req));
      res.status(204).end();
    },
    opts,
  );

  // Import now. A refused catalog is a completed run, not a failed request: 200 with
  // status "failed" and the reason code, exactly what the cron job records. A run already
  // in progress (the schedule, the CLI) is a 409 CONFLICT.
  route(
    r,
    ROUTES.importOne,
    async ({ params }, req, res) => {
      const [outcome] = await runImport(inst, {
        subscription: params.subscription,
        actor: actorOf(req),
      });
      res.json(outcome);
    },
    opts,
  );

  route(
    r,
    ROUTES.importAll,
    async (_in, req, res) => {
      res.json({ outcomes: await runImport(inst, { actor: actorOf(req) }) });
    },
    opts,
  );

  return r;
}
