import {
  forgetIssuerPin,
  listSubscriptions,
  removeSubscription,
  setSubscriptionEnabled,
  subscribe,
  type FeedFormat,
  type Subscription,
} from '../../../catalog/site/subscriptions.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';
import { formatAge } from '../../../catalog/site/freshness.ts';
import type { LogPolicy } from '../../../catalog/site/subscription-log.ts';

export async function subscribeCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {
    'expect-subject': { type: 'string', multiple: true },
    'expect-issuer': { type: 'string' },
    'expect-signers': { type: 'string' },
    name: { type: 'string' },
    format: { type: 'string' },
    log: { type: 'string' },
    'log-key': { type: 'string' },
    witness: { type: 'string', multiple: true },
    'witness-quorum': { type: 'string' },
    'require-policy': { type: 'string', multiple: true },
    'verify-provenance': { type: 'boolean', default: false },
  });
  const url = p.positionals[0];
  if (!url || p.positionals.length > 1)
    throw new UsageError(
      'usage: vmic subscribe URL --expect-subject DN [--expect-issuer DN] [--name N] [--format rdf|hepix]\n' +
        '       [--log require|warn|off] [--log-key NAME+HASH+KEY] [--witness KEY[,URL]]... [--witness-quorum K]\n' +
        '       [--expect-signers K --expect-subject DN ...]   (a co-signed catalog: K of the pinned subjects)\n' +
        '       [--require-policy IRI]... [--verify-provenance]',
    );
  // Options checked before the instance is opened: a typo creates no data directory.
  const subjects = (p.values['expect-subject'] as string[] | undefined) ?? [];
  if (subjects.length === 0 || subjects.some((d) => d === ''))
    throw new UsageError('--expect-subject is required');
  const k = str(p, 'expect-signers');
  if (k !== undefined && !/^[1-9][0-9]?$/.test(k))
    throw new UsageError(`--expect-signers must be a number, not ${k}`);
  const input = {
    url,
    expectSubject: subjects[0]!,
    ...(k !== undefined ? { expectSigners: Number(k) } : {}),
    coSigners: subjects.slice(1),
    expectIssuer: str(p, 'expect-issuer'),
    name: str(p, 'name'),
    format: feedFormat(str(p, 'format')),
    log: logPolicy(str(p, 'log')),
    logKey: str(p, 'log-key'),
    witnesses: (p.values.witness as string[] | undefined) ?? [],
    witnessQuorum: quorumOf(str(p, 'witness-quorum')),
    requirePolicies: (p.values['require-policy'] as string[] | undefined) ?? [],
    verifyProvenance: flag(p, 'verify-provenance'),
  };
  const sub = await withInstance(p, (inst) => subscribe(inst, { ...input, actor: cliActor() }));
  emit(flag(p, 'json'), sub, () => [
    `subscribed ${sub.name} to ${sub.url}${sub.format === 'hepix' ? ' (HEPiX image list)' : ''}`,
    `  pinned subject: ${sub.expectSubject}`,
    ...(sub.signers
      ? [
          `  co-signed: ${sub.signers.k} of ${sub.signers.subjects.length} pinned signers must sign:`,
          ...sub.signers.subjects.map((d) => `    ${d}`),
        ]
      : []),
    ...(sub.expectIssuer ? [`  pinned issuer:  ${sub.expectIssuer}`] : []),
    `  issuing CA key: pinned by the first verified import (trust on first use)`,
    ...describeLog(sub),
    ...describeRequirements(sub),
    `  next: vmic import --subscription ${sub.name}`,
  ]);
  return 0;
}

function logPolicy(v: string | undefined): LogPolicy | undefined {
  if (v === undefined || v === 'require' || v === 'warn' || v === 'off') return v;
  throw new UsageError(`--log must be require, warn or off, not ${v}`);
}

function quorumOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,2}$/.test(v)) throw new UsageError(`--witness-quorum must be a number, not ${v}`);
  return Number(v);
}

/** The log lines of a subscription: policy, key and how it was learned, witnesses. */
function describeLog(s: Subscription): string[] {
  const l = s.log;
  if (l.policy === 'off') return ['  transparency log: not checked (--log off)'];
  const lines = [
    `  transparency log: ${l.policy}; key ${l.key ? `${l.key.text} (${l.key.source === 'pinned' ? 'pinned at subscribe' : 'trust on first use'}, ${l.key.at})` : 'not yet known (the first import learns it from the log: trust on first use)'}`,
  ];
  if (l.witnesses.length)
    lines.push(
      `  witnesses: ${l.quorum} of ${l.witnesses.length} must cosign`,
      ...l.witnesses.map((w) => `    ${w.key}${w.url ? ` at ${w.url}` : ''}`),
    );
  return lines;
}

/** What the subscription requires beyond signatures (subscription-options.ts). */
function describeRequirements(s: Subscription): string[] {
  return [
    ...(s.requirePolicies.length
      ? [
          '  requires policies (POLICY_NOT_MET unless the image or its catalog claims each):',
          ...s.requirePolicies.map((iri) => `    ${iri}`),
        ]
      : []),
    ...(s.verifyProvenance ? ['  verifies provenance'] : []),
  ];
}

function feedFormat(v: string | undefined): FeedFormat | undefined {
  if (v === undefined || v === 'rdf' || v === 'hepix') return v;
  throw new UsageError(`--format must be rdf or hepix, not ${v}`);
}

/**
 * One subscription: name, state, newest catalog and URL on the first line; then how old
 * the newest verified catalog is (what max-catalog-age and the gate count), the last
 * `304 Not Modified`, the issuer pin, and the last error.
 */
export function describeSubscription(s: Subscription): string {
  const state = s.enabled ? 'enabled' : 'DISABLED';
  const cat = s.catalog
    ? `sequence ${s.catalog.sequence}, expires ${s.catalog.expiresAt}`
    : 'no catalog yet';
  const lines = [`${s.name}\t${state}\t${cat}\t${s.url}`];
  if (s.catalog)
    lines.push(
      `  newest verified catalog: issued ${s.catalog.issuedAt}${s.catalog.ageSeconds === undefined ? '' : ` (${formatAge(s.catalog.ageSeconds)} old)`}, applied ${s.catalog.verifiedAt}${s.lastSuccessAt ? `, last verified ${s.lastSuccessAt}` : ''}`,
    );
  if (s.lastNotModifiedAt)
    lines.push(`  last 304 Not Modified: ${s.lastNotModifiedAt} (unchanged; verifies nothing)`);
  lines.push(
    s.issuerPin
      ? `  issuer pin: ${s.issuerPin.subject} key ${s.issuerPin.key} (learned ${s.issuerPin.pinnedAt})`
      : `  issuer pin: ${s.expectIssuer ? `${s.expectIssuer}, ` : ''}key not yet pinned (the first verified import pins it)`,
  );
  if (s.signers)
    lines.push(
      `  co-signed: ${s.signers.k} of ${s.signers.subjects.length} pinned signers: ${s.signers.subjects.join(' | ')}`,
    );
  lines.push(...describeLog(s), ...describeRequirements(s));
  if (s.lastError) lines.push(`  last error ${s.lastError.code}: ${s.lastError.message}`);
  return lines.join('\n');
}

export async function subscriptionCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') {
    const p = parse(rest, {}, false);
    const subs = await withInstance(p, (inst) => listSubscriptions(inst.store.db, inst.now()));
    emit(flag(p, 'json'), subs, () =>
      subs.length ? subs.map(describeSubscription) : ['no subscriptions'],
    );
    return 0;
  }
  if (sub === 'set') return setCommand(rest);
  if (sub === 'enable' || sub === 'disable' || sub === 'remove' || sub === 'repin') {
    const p = parse(rest, {});
    const name = p.positionals[0];
    if (!name || p.positionals.length > 1)
      throw new UsageError(`usage: vmic subscription ${sub} NAME`);
    if (sub === 'repin') {
      const s = await withInstance(p, (inst) => forgetIssuerPin(inst, name, cliActor()));
      emit(
        flag(p, 'json'),
        s,
        () => `subscription ${name}: issuer pin forgotten; the next verified import pins it again`,
      );
      return 0;
    }
    if (sub === 'remove') {
      await withInstance(p, (inst) => removeSubscription(inst, name, cliActor()));
      emit(flag(p, 'json'), { removed: name }, () => `subscription ${name} removed`);
      return 0;
    }
    const s = await withInstance(p, (inst) =>
      setSubscriptionEnabled(inst, name, sub === 'enable', cliActor()),
    );
    emit(flag(p, 'json'), s, () => `subscription ${name} ${sub}d`);
    return 0;
  }
  throw new UsageError(
    'usage: vmic subscription list | enable NAME | disable NAME | remove NAME | repin NAME | set NAME ...',
  );
}

const SET_USAGE =
  'usage: vmic subscription set NAME [(--require-policy IRI)... | --no-require-policy] [--verify-provenance | --no-verify-provenance]';

/** `vmic subscription set`: what the subscription requires; what is not given stays. */
async function setCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {
    'require-policy': { type: 'string', multiple: true },
    'no-require-policy': { type: 'boolean', default: false },
    'verify-provenance': { type: 'boolean', default: false },
    'no-verify-provenance': { type: 'boolean', default: false },
  });
  const name = p.positionals[0];
  const policies = p.values['require-policy'] as string[] | undefined;
  const clear = flag(p, 'no-require-policy');
  const verify = flag(p, 'verify-provenance');
  const noVerify = flag(p, 'no-verify-provenance');
  if (!name || p.positionals.length > 1 || (clear && policies) || (verify && noVerify))
    throw new UsageError(SET_USAGE);
  const input = {
    ...(clear ? { requirePolicies: [] } : policies ? { requirePolicies: policies } : {}),
    ...(verify || noVerify ? { verifyProvenance: verify } : {}),
  };
  if (Object.keys(input).length === 0) throw new UsageError(SET_USAGE);
  const { setSubscriptionRequirements } =
    await import('../../../catalog/site/subscription-requirements.ts');
  const s = await withInstance(p, (inst) =>
    setSubscriptionRequirements(inst, name, input, cliActor()),
  );
  emit(flag(p, 'json'), s, () => [
    `subscription ${s.name}: ${s.requirePolicies.length ? `requires ${s.requirePolicies.length} polic${s.requirePolicies.length === 1 ? 'y' : 'ies'}` : 'requires no policy'}; ${s.verifyProvenance ? 'verifies provenance' : 'does not verify provenance'}`,
    ...describeRequirements(s),
  ]);
  return 0;
}
