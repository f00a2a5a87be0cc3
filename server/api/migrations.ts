import { Router } from 'express';
import type { Instance } from '../../catalog/index.ts';
import { migrateImage } from '../../catalog/migration/migrate.ts';
import { listMigrations } from '../../catalog/migration/records.ts';
import { actorOf } from '../auth.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

/** `vmic migrate` and `vmic migrations` over the API: admins start, readers watch. */
export function migrationsApi(inst: Instance): Router {
  const r = Router();
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };

  route(
    r,
    ROUTES.listMigrations,
    async (_in, _req, res) => {
      res.json(await listMigrations(inst));
    },
    opts,
  );

  route(
    r,
    ROUTES.migrate,
    async ({ body }, req, res) => {
      const result = await migrateImage(inst, {
        image: body.image,
        subscription: body.subscription,
        to: body.to,
        actor: actorOf(req),
      });
      res.status(201).json(result);
    },
    opts,
  );

  return r;
}
