import { Router } from 'express';
import type { Instance } from '../../../catalog/index.ts';
import { listMigrations } from '../../../catalog/migration/records.ts';
import { siteReader } from '../../api/site-access.ts';
import { identityOf } from '../../../catalog/site/health-identities.ts';
import { identityView } from './identity-view.ts';
import { render } from './render.ts';

const STAGES = ['export', 'transfer', 'import'] as const;

/** Migrations with their stage progress (docs/design.md §8); read-only, for site readers. */
export function migrationPages(inst: Instance): Router {
  const r = Router();
  r.get('/site/migrations', siteReader, async (req, res) => {
    const migrations = (await listMigrations(inst)).map((m) => ({
      ...m,
      // Outgoing migrations run Export and Transfer here; the receiver runs Import.
      // A refusal at the manifest stage never reached a stage.
      steps: STAGES.filter((s) =>
        m.state === 'refused'
          ? false
          : m.direction === 'outgoing'
            ? s !== 'import'
            : s === 'import',
      ).map((stage) => {
        const done = m.stages.filter((s) => s.stage === stage).at(-1);
        return {
          stage,
          state: done?.state ?? 'pending',
          seconds: done?.seconds,
          reasonCode: done?.reasonCode,
        };
      }),
    }));
    const now = inst.now();
    const identity = await inst.store.db
      .selectFrom('site_identity')
      .select('certificate_pem')
      .where('id', '=', 1)
      .executeTakeFirst();
    render(req, res, 'site-migrations.njk', {
      title: 'Migrations',
      migrations,
      // The certificate that signs this site's manifests: its expiry, warned 30 days ahead.
      identity: identity && identityView(identityOf('site', 'site', identity.certificate_pem, now)),
      now,
    });
  });
  return r;
}
