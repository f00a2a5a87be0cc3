import { Router } from 'express';
import { VmicError } from '../../pki/errors.ts';
import type { Instance } from '../../catalog/index.ts';
import { POLICY_KEYS, readPolicy, setPolicy, type SitePolicy } from '../../catalog/site/policy.ts';
import { actorOf } from '../auth.ts';
import { jsonBody, objectBody } from '../json-body.ts';
import { siteAdmin, siteReader } from './site-access.ts';

/** The policy with unset optional values as null (JSON has no undefined), and its keys. */
function policyView(policy: SitePolicy) {
  return {
    policy: Object.fromEntries(Object.entries(policy).map(([k, v]) => [k, v ?? null])),
    keys: Object.entries(POLICY_KEYS).map(([key, spec]) => ({
      key,
      field: spec.field,
      optional: spec.optional === true,
    })),
  };
}

export function sitePolicyApi(inst: Instance): Router {
  const r = Router();
  const json = jsonBody(inst.config.limits.jsonBodyBytes);

  r.get('/site/policy', siteReader, async (_req, res) => {
    res.json(policyView(await readPolicy(inst.store.db)));
  });

  // `{"value": null}` resets the key to its default (unsets an optional one).
  r.put('/site/policy/:key', siteAdmin, json, async (req, res) => {
    const key = String(req.params.key);
    // Own keys only: `constructor` or `__proto__` must not reach the policy table's lookup.
    if (!Object.hasOwn(POLICY_KEYS, key))
      throw new VmicError('NOT_FOUND', `unknown policy key ${key}`);
    const body = objectBody(req, ['value']);
    if (!('value' in body)) throw new VmicError('BAD_REQUEST', 'value is required (null unsets)');
    const { value } = body;
    let text: string | undefined;
    if (value === null) text = undefined;
    else if (typeof value === 'string') text = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) text = String(value);
    else throw new VmicError('BAD_REQUEST', 'value must be a string, an integer or null');
    res.json(policyView(await setPolicy(inst, key, text, actorOf(req))));
  });

  return r;
}
