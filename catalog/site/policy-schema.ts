import { KindGuard, Type, type TSchema } from '@sinclair/typebox';
import { VmicError } from '../../errors/index.ts';
import { firstMismatch } from '../schema-check.ts';
import type { SitePolicy } from './policy.ts';
import { ENDORSEMENT_QUORUM_PATTERN, endorsementQuorumProblem } from './quorum-policy.ts';
import { denyRulesProblem } from './inventory/deny-rules.ts';

/*
 * What an operator may write for each site policy key, as TypeBox schemas. The same
 * schemas check `vmic policy set`, PUT /api/v1/site/policy/{key} and the values read back
 * from the database, so no way in accepts a value another would refuse.
 */

/** A count from 1 to `max`: the bound keeps a typo from disabling a limit (threat: endless data). */
function count(max: number): TSchema {
  return Type.Integer({ minimum: 1, maximum: max, description: `an integer between 1 and ${max}` });
}

function oneOf(...values: string[]): TSchema {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    { description: `one of ${values.join(', ')}` },
  );
}

export interface PolicyKeySpec {
  field: keyof SitePolicy;
  schema: TSchema;
  /** Unset, the key has no value at all rather than a default. */
  optional?: boolean;
  /** What the schema cannot say about a value it accepts (`K of a,b,c` with K > 3). */
  check?: (text: string) => string | undefined;
}

/** Policy keys as operators write them (`vmic policy set max-catalog-age 604800`). */
export const POLICY_KEYS: Readonly<Record<string, PolicyKeySpec>> = {
  revocation: { field: 'revocation', schema: oneOf('best-effort', 'require') },
  'max-catalog-age': {
    field: 'maxCatalogAgeSeconds',
    schema: count(10 * 366 * 86400),
    optional: true,
  },
  'fetch-scope': { field: 'fetchScope', schema: oneOf('endorsed', 'approved') },
  'feed-max-bytes': { field: 'feedMaxBytes', schema: count(1024 ** 3) },
  'feed-timeout-ms': { field: 'feedTimeoutMs', schema: count(3600_000) },
  'fetch-concurrency': { field: 'fetchConcurrency', schema: count(16) },
  'fetch-min-rate': { field: 'fetchMinBytesPerSecond', schema: count(1024 ** 3) },
  'fetch-rate-window': { field: 'fetchRateWindowSeconds', schema: count(3600) },
  'fetch-deadline': { field: 'fetchDeadlineSeconds', schema: count(7 * 86400) },
  // At least 2 minutes: the feed is re-signed at half its lifetime by a timer.
  'approval-feed-ttl': {
    field: 'approvalFeedTtlSeconds',
    schema: Type.Integer({
      minimum: 120,
      maximum: 7 * 86400,
      description: 'an integer between 120 and 604800',
    }),
  },
  'glance-scope': {
    field: 'glanceScope',
    schema: Type.String({
      pattern:
        '^(all|[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(,[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*)$',
      maxLength: 4096,
      description: 'all, or subscription names separated by commas',
    }),
  },
  'glance-withdrawn': { field: 'glanceWithdrawn', schema: oneOf('deactivate', 'delete') },
  'glance-visibility': {
    field: 'glanceVisibility',
    schema: oneOf('private', 'shared', 'community', 'public'),
  },
  // Issue 18: k-of-n endorsement and two-person approval (docs/design.md §7).
  'endorsement-quorum': {
    field: 'endorsementQuorum',
    schema: Type.String({
      pattern: ENDORSEMENT_QUORUM_PATTERN,
      maxLength: 4096,
      description: 'K of a,b,c: at least K of the named subscriptions endorse the same SHA-256',
    }),
    optional: true,
    check: endorsementQuorumProblem,
  },
  'approval-quorum': { field: 'approvalQuorum', schema: count(10) },
  // Issue 19 part 2: packages the gate refuses (inventory/deny-rules.ts); one rule a line.
  'deny-package': {
    field: 'denyPackages',
    schema: Type.String({
      maxLength: 65536,
      description:
        'a package URL or name with an optional version constraint, e.g. pkg:deb/debian/openssl@<3.0.13',
    }),
    optional: true,
    check: denyRulesProblem,
  },
  'transfer-clock-window': {
    field: 'transferClockWindowSeconds',
    schema: count(7 * 86400),
    optional: true,
  },
};

/** Own keys only: `constructor` or `__proto__` must never look like a policy key. */
export function policyKey(key: string): PolicyKeySpec | undefined {
  return Object.hasOwn(POLICY_KEYS, key) ? POLICY_KEYS[key] : undefined;
}

/**
 * The wire form of a value (PUT /site/policy/{key}): text as the CLI and the database hold
 * it, or a JSON integer for a count; null resets the key. Each key's schema decides the rest.
 */
export const PolicyWireValue = Type.Union([Type.String(), Type.Integer(), Type.Null()], {
  description: 'a string, an integer, or null to reset the key',
});

/** A value as text reads as a count only when it is plain digits (`0x10`, `1e3` are not). */
function valueOf(spec: PolicyKeySpec, text: string): unknown {
  return KindGuard.IsInteger(spec.schema) && /^[0-9]+$/.test(text) ? Number(text) : text;
}

/** What is wrong with `text` as the value of the key (`expected one of ...`), or undefined. */
export function policyValueProblem(spec: PolicyKeySpec, text: string): string | undefined {
  const miss = firstMismatch(spec.schema, valueOf(spec, text));
  if (!miss) return spec.check?.(text);
  return `expected ${String(spec.schema.description)}`;
}

/** The typed value of `text`; refused with BAD_REQUEST when its key's schema refuses it. */
export function parsePolicyValue(spec: PolicyKeySpec, text: string): SitePolicy[keyof SitePolicy] {
  const problem = policyValueProblem(spec, text);
  if (problem !== undefined) throw new VmicError('BAD_REQUEST', problem);
  return valueOf(spec, text) as SitePolicy[keyof SitePolicy];
}
