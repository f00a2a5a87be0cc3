import { Router, type Request } from 'express';
import type { Instance } from '../../catalog/index.ts';
import {
  getSubscription,
  listSubscriptions,
  removeSubscription,
  setSubscriptionEnabled,
  subscribe,
} from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { actorOf } from '../auth.ts';
import { jsonBody, objectBody } from '../json-body.ts';
import {
  optionalString,
  requiredString,
  siteAdmin,
  siteReader,
  subscriptionParam,
} from './site-access.ts';

const SUBSCRIBE_FIELDS = ['url', 'expectSubject', 'expectIssuer', 'name'];

export function siteSubscriptionsApi(inst: Instance): Router {
  const r = Router();
  const json = jsonBody(inst.config.limits.jsonBodyBytes);
  const name = (req: Request) => subscriptionParam(req.params.name);

  r.get('/site/subscriptions', siteReader, async (_req, res) => {
    res.json({ subscriptions: await listSubscriptions(inst.store.db, inst.now()) });
  });

  r.post('/site/subscriptions', siteAdmin, json, async (req, res) => {
    const body = objectBody(req, SUBSCRIBE_FIELDS);
    const sub = await subscribe(inst, {
      url: requiredString(body, 'url'),
      expectSubject: requiredString(body, 'expectSubject'),
      expectIssuer: optionalString(body, 'expectIssuer'),
      name: optionalString(body, 'name'),
      actor: actorOf(req),
    });
    res.status(201).location(`${req.baseUrl}/site/subscriptions/${sub.name}`);
    res.json(sub);
  });

  r.get('/site/subscriptions/:name', siteReader, async (req, res) => {
    res.json(await getSubscription(inst.store.db, name(req), inst.now()));
  });

  r.post('/site/subscriptions/:name/enable', siteAdmin, async (req, res) => {
    res.json(await setSubscriptionEnabled(inst, name(req), true, actorOf(req)));
  });

  r.post('/site/subscriptions/:name/disable', siteAdmin, async (req, res) => {
    res.json(await setSubscriptionEnabled(inst, name(req), false, actorOf(req)));
  });

  r.delete('/site/subscriptions/:name', siteAdmin, async (req, res) => {
    await removeSubscription(inst, name(req), actorOf(req));
    res.status(204).end();
  });

  // Import now. A refused catalog is a completed run, not a failed request: 200 with
  // status "failed" and the reason code, exactly what the cron job records. A run already
  // in progress (the schedule, the CLI) is a 409 CONFLICT.
  r.post('/site/subscriptions/:name/import', siteAdmin, async (req, res) => {
    const [outcome] = await runImport(inst, { subscription: name(req), actor: actorOf(req) });
    res.json(outcome);
  });

  r.post('/site/import', siteAdmin, async (req, res) => {
    res.json({ outcomes: await runImport(inst, { actor: actorOf(req) }) });
  });

  return r;
}
