import { Router } from 'express';
import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../../catalog/index.ts';
import { POLICY_KEYS, readPolicy, setPolicy, type SitePolicy } from '../../catalog/site/policy.ts';
import { actorOf } from '../auth.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

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
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };

  route(
    r,
    ROUTES.getPolicy,
    async (_in, _req, res) => {
      res.json(policyView(await readPolicy(inst.store.db)));
    },
    opts,
  );

  // `{"value": null}` resets the key to its default (unsets an optional one).
  route(
    r,
    ROUTES.setPolicy,
    async ({ params, body }, req, res) => {
      const { key } = params;
      // Own keys only: `constructor` or `__proto__` must not reach the policy table's lookup.
      if (!Object.hasOwn(POLICY_KEYS, key))
        throw new VmicError('NOT_FOUND', `unknown policy key ${key}`);
      const { value } = body;
      if (typeof value === 'number' && !Number.isSafeInteger(value))
        throw new VmicError('BAD_REQUEST', 'value must be a string, an integer or null', {
          rule: '/body/value',
        });
      const text = value === null ? undefined : String(value);
      res.json(policyView(await setPolicy(inst, key, text, actorOf(req))));
    },
    opts,
  );

  return r;
}
