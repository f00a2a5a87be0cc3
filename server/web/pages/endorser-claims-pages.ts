import { Router, type Request } from 'express';
import { Type } from '@sinclair/typebox';
import type { Instance } from '../../../catalog/index.ts';
import { setEndorserClaims, setImageClaims } from '../../../catalog/policy-claims.ts';
import { actorOf, requireEndorserRole } from '../../auth.ts';
import { endorserParam, identifierParam } from '../../params.ts';
import { formBody } from './form-body.ts';
import { FormText, formOf } from './form-input.ts';

/**
 * The "Policies" forms of the endorser pages (catalog/policy-claims.ts): one IRI per line,
 * the list replacing the one held (an empty field clears it). On the image page for that
 * image's claims, on the endorser page for every image of the catalog. Same role check as
 * the rest of the endorser pages: `admin` or `endorser:NAME`.
 */
export const ClaimsForm = Type.Object({
  conformsTo: Type.Optional(FormText({ label: 'Policies', asTyped: true })),
});

/** The IRIs of the textarea: one a line, blank lines and surrounding spaces ignored. */
export function claimLines(text: string | undefined): string[] {
  return (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function endorserClaimPages(inst: Instance): Router {
  const r = Router();
  const endorser = (req: Request) => endorserParam(req.params.name);
  const mayAct = requireEndorserRole(endorser);
  const form = formBody(inst.config.limits.jsonBodyBytes);

  r.post('/endorsers/:name/images/:identifier/conforms-to', mayAct, form, async (req, res) => {
    const name = endorser(req);
    const identifier = identifierParam(req.params.identifier);
    await setImageClaims(inst, {
      endorser: name,
      identifier,
      conformsTo: claimLines(formOf(ClaimsForm, req).conformsTo),
      actor: actorOf(req),
    });
    res.redirect(303, `/endorsers/${name}/images/${identifier}?saved=policies`);
  });

  r.post('/endorsers/:name/conforms-to', mayAct, form, async (req, res) => {
    const name = endorser(req);
    await setEndorserClaims(inst, {
      endorser: name,
      conformsTo: claimLines(formOf(ClaimsForm, req).conformsTo),
      actor: actorOf(req),
    });
    res.redirect(303, `/endorsers/${name}?claims=saved`);
  });

  return r;
}
