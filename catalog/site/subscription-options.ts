import type { Selectable } from 'kysely';
import { VmicError } from '../../errors/index.ts';
import type { SubscriptionTable } from '../store/schema.ts';
import { checkEndorserName } from '../names.ts';
import { checkClaimList } from '../policy-iri.ts';
import { catalogUrlOf, defaultName, imageListUrlOf, normaliseDn } from './feed-urls.ts';

/*
 * What `subscribe` is given, checked before anything is written: the feed (format, URL,
 * name, pinned subject and issuer) and what the site requires of it beyond signatures
 * (policy claims, provenance). Split from subscriptions.ts, which keeps the rows.
 */

export type FeedFormat = 'rdf' | 'hepix';

export interface FeedInput {
  url: string;
  expectSubject: string;
  expectIssuer?: string | undefined;
  name?: string | undefined;
  format?: FeedFormat | undefined;
}

/** The feed's columns, normalised: catalog or image list URL, name, DNs. */
export function feedOptions(input: FeedInput) {
  const format = input.format ?? 'rdf';
  if (format !== 'rdf' && format !== 'hepix')
    throw new VmicError('BAD_REQUEST', `format must be rdf or hepix, not ${String(format)}`);
  const url = format === 'hepix' ? imageListUrlOf(input.url) : catalogUrlOf(input.url);
  return {
    format,
    url,
    name: checkEndorserName(input.name ?? defaultName(url)),
    expectSubject: normaliseDn(input.expectSubject, '--expect-subject'),
    expectIssuer:
      input.expectIssuer === undefined ? null : normaliseDn(input.expectIssuer, '--expect-issuer'),
  };
}

/** What a subscription requires of its images beyond the signature. */
export interface Requirements {
  /**
   * Policy IRIs every image must be claimed to conform to, by itself or by its catalog
   * (`dcterms:conformsTo`); POLICY_NOT_MET at the gate otherwise (gate-policy-claims.ts).
   */
  requirePolicies: string[];
  /** Whether imports check an image's provenance (stored here; the import decides). */
  verifyProvenance: boolean;
}

export interface RequirementsInput {
  requirePolicies?: readonly unknown[] | null | undefined;
  verifyProvenance?: boolean | undefined;
}

/** The required policies, checked as the endorser's claims are (policy-iri.ts). */
export function checkRequiredPolicies(iris: readonly unknown[]): string[] {
  const r = checkClaimList(iris);
  if ('problem' in r)
    throw new VmicError('BAD_REQUEST', `required policy: ${r.problem}`, {
      rule: 'requirePolicies',
    });
  return r.claims;
}

/** The columns of a new subscription's requirements (none required by default). */
export function requirementColumns(input: RequirementsInput) {
  const policies = checkRequiredPolicies(input.requirePolicies ?? []);
  if (input.verifyProvenance !== undefined && typeof input.verifyProvenance !== 'boolean')
    throw new VmicError('BAD_REQUEST', 'verifyProvenance must be true or false');
  return {
    require_policies: policies.length ? JSON.stringify(policies) : null,
    verify_provenance: input.verifyProvenance ? 1 : 0,
  };
}

export function requirementsOf(
  r: Pick<Selectable<SubscriptionTable>, 'require_policies' | 'verify_provenance'>,
): Requirements {
  return {
    requirePolicies:
      r.require_policies === null ? [] : (JSON.parse(r.require_policies) as string[]),
    verifyProvenance: r.verify_provenance === 1,
  };
}
