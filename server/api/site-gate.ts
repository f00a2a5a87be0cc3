import { Router } from 'express';
import type { Instance } from '../../catalog/index.ts';
import { answerGate } from '../../catalog/site/gate.ts';
import { getSubscription } from '../../catalog/site/subscriptions.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

/**
 * The deploy gate of docs/design.md §7 for deployment systems. Any authenticated principal may
 * ask (a deployment system holds the least-privileged token there is). The answer is a 200
 * whether or not the image is deployable: "no" is the gate working, not an HTTP error, and
 * an unknown image is a "no" with UNKNOWN_IMAGE. An identifier listed by several
 * subscriptions is not a question the gate can answer: 409 CONFLICT (rule
 * `image.ambiguous`) naming every candidate, until `?subscription=` picks one.
 */
export function siteGateApi(inst: Instance): Router {
  const r = Router();

  route(
    r,
    ROUTES.gate,
    async ({ params, query }, _req, res) => {
      const { subscription } = query;
      // A misspelt subscription must not read as "unknown image".
      if (subscription !== undefined) await getSubscription(inst.store.db, subscription);
      res.json(await answerGate(inst, params.image, { subscription }));
    },
    { jsonLimitBytes: inst.config.limits.jsonBodyBytes },
  );

  return r;
}
