import { Router } from 'express';
import type { Instance } from '../../catalog/index.ts';
import { migrateImage } from '../../catalog/migration/migrate.ts';
import { listMigrations } from '../../catalog/migration/records.ts';
import { actorOf } from '../auth.ts';
import { jsonBody, objectBody } from '../json-body.ts';
import {
  optionalString,
  requiredString,
  siteAdmin,
  siteReader,
  subscriptionParam,
} from './site-access.ts';

/** `vmic migrate` and `vmic migrations` over the API: admins start, readers watch. */
export function migrationsApi(inst: Instance): Router {
  const r = Router();

  r.get('/migrations', siteReader, async (_req, res) => {
    res.json(await listMigrations(inst));
  });

  r.post('/migrations', siteAdmin, jsonBody(inst.config.limits.jsonBodyBytes), async (req, res) => {
    const body = objectBody(req, ['image', 'subscription', 'to']);
    const subscription = optionalString(body, 'subscription');
    const result = await migrateImage(inst, {
      image: requiredString(body, 'image'),
      subscription: subscription === undefined ? undefined : subscriptionParam(subscription),
      to: requiredString(body, 'to'),
      actor: actorOf(req),
    });
    res.status(201).json(result);
  });

  return r;
}
