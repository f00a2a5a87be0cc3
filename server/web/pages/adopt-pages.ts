import { Router, type Request } from 'express';
import { Type } from '@sinclair/typebox';
import { listEndorsers, type Instance } from '../../../catalog/index.ts';
import { adoptImage } from '../../../catalog/adopt.ts';
import { VmicError } from '../../../errors/index.ts';
import { actorOf } from '../../auth.ts';
import { formBody, formFields } from './form-body.ts';
import { formInput, FormText } from './form-input.ts';
import { ENDORSER_NAME } from '../../../catalog/names.ts';

/**
 * The endorsers the signed-in person may adopt into. Adopting is both a site decision and
 * an endorsement, so it needs `admin`, which holds every endorser's rights on this
 * instance as on the endorser pages (`admin` or `endorser:NAME`); `endorser:NAME` alone
 * may not pull in images the site has vetted for its own use (threat: an endorser role
 * turning site approvals into its own endorsements).
 */
export async function adoptTargets(inst: Instance, req: Request): Promise<string[]> {
  const roles = req.principal?.roles ?? [];
  if (!roles.includes('admin')) return [];
  return (await listEndorsers(inst)).map((e) => e.name);
}

// Subscription and endorser names share one alphabet (catalog/names.ts).
const name = (label: string) =>
  FormText({
    label,
    pattern: ENDORSER_NAME,
    description: `${label} must be 1-64 lowercase letters, digits or -`,
  });
const AdoptForm = Type.Object({
  image: FormText({ label: 'Image' }),
  subscription: name('subscription'),
  endorser: name('endorser'),
});

/**
 * "Adopt" on /site/images (issue 19, catalog/adopt.ts): an admin re-endorses a deployable
 * imported image in one of this instance's endorsers' catalogs (adoptTargets).
 */
export function adoptPages(inst: Instance): Router {
  const r = Router();
  const form = formBody(inst.config.limits.jsonBodyBytes);
  r.post('/site/images/adopt', form, async (req, res) => {
    const f = formInput(AdoptForm, formFields(req));
    if (!(await adoptTargets(inst, req)).includes(f.endorser))
      throw new VmicError(
        'FORBIDDEN',
        `adopting needs the role admin, and ${f.endorser} must be an endorser here`,
      );
    const img = await adoptImage(inst, {
      subscription: f.subscription,
      identifier: f.image,
      endorser: f.endorser,
      actor: actorOf(req),
    });
    res.redirect(
      303,
      `/endorsers/${encodeURIComponent(img.endorser)}?adopted=${encodeURIComponent(img.identifier)}`,
    );
  });
  return r;
}
