import type { Selectable } from 'kysely';
import { VmicError } from '../../errors/index.ts';
import { parseCosignerKey, parseVerifierKey, cosignerKeyText } from '../../tlog/index.ts';
import type { SubscriptionTable } from '../store/schema.ts';
import { checkUrl } from '../net/http-client.ts';

/**
 * What a subscription asks of its endorser's transparency log (docs/design.md §13):
 * - `require`: a catalog is applied only when proved in the log, under a checkpoint
 *   consistent with every one seen before (NOT_LOGGED, LOG_INCONSISTENT), cosigned by
 *   `quorum` of the named witnesses (WITNESS_QUORUM_NOT_MET);
 * - `warn`: the same checks, but a failure is reported and the catalog applied;
 * - `off`: no check (HEPiX lists, endorsers that run no log).
 * New RDF subscriptions default to `require`; HEPiX ones can only be `off`.
 */
export type LogPolicy = 'require' | 'warn' | 'off';

export interface WitnessSpec {
  /** The witness's cosigner key, `name+hash+base64(0x04 || key)`. */
  key: string;
  /** Where its tlog-witness `add-checkpoint` is; without one, only cosignatures the log serves count. */
  url?: string | undefined;
}

export interface SubscriptionLogInput {
  log?: LogPolicy | undefined;
  /** The log's verifier key, pinned now; otherwise learned from `/log/key` on first use. */
  logKey?: string | undefined;
  /** `KEY` or `KEY,URL`, or parsed. */
  witnesses?: ReadonlyArray<string | WitnessSpec> | undefined;
  witnessQuorum?: number | undefined;
}

export interface SubscriptionLog {
  policy: LogPolicy;
  /** The log's verifier key and how it was learned; undefined until then. */
  key: { text: string; origin: string; source: 'pinned' | 'first-use'; at: string } | undefined;
  witnesses: WitnessSpec[];
  quorum: number;
}

const POLICIES: readonly LogPolicy[] = ['require', 'warn', 'off'];
const MAX_WITNESSES = 16;

export function parseWitness(spec: string | WitnessSpec): WitnessSpec {
  const [key, url, ...rest] =
    typeof spec === 'string' ? spec.split(',') : [spec.key, spec.url ?? undefined];
  if (!key || rest.length)
    throw new VmicError(
      'BAD_REQUEST',
      `--witness takes KEY or KEY,URL, not ${typeof spec === 'string' ? spec : spec.key}`,
    );
  let text: string;
  try {
    text = cosignerKeyText(parseCosignerKey(key));
  } catch (e) {
    throw new VmicError('BAD_REQUEST', `--witness: ${(e as Error).message}`, { cause: e });
  }
  if (url === undefined || url === '') return { key: text };
  const u = checkUrl(url, '--witness URL');
  if (u.username || u.password)
    throw new VmicError('BAD_REQUEST', 'a witness URL must not carry credentials');
  return { key: text, url: u.toString().replace(/\/?$/, '/') };
}

/** The subscription columns for `input`, checked; `pinnedAt` stamps a key given now. */
export function logColumns(
  input: SubscriptionLogInput,
  format: 'rdf' | 'hepix',
  pinnedAt: string,
): Pick<
  Selectable<SubscriptionTable>,
  | 'log_policy'
  | 'log_key'
  | 'log_key_source'
  | 'log_key_at'
  | 'log_witnesses'
  | 'log_witness_quorum'
> {
  const policy = input.log ?? (format === 'hepix' ? 'off' : 'require');
  if (!POLICIES.includes(policy))
    throw new VmicError('BAD_REQUEST', `--log must be require, warn or off, not ${String(policy)}`);
  if (format === 'hepix' && policy !== 'off')
    throw new VmicError(
      'BAD_REQUEST',
      'HEPiX image lists are not in a transparency log: subscribe with --log off',
    );
  let key: string | null = null;
  if (input.logKey !== undefined) {
    if (policy === 'off')
      throw new VmicError('BAD_REQUEST', '--log-key needs --log require or warn');
    try {
      parseVerifierKey(input.logKey);
      key = input.logKey.trim();
    } catch (e) {
      throw new VmicError('BAD_REQUEST', `--log-key: ${(e as Error).message}`, { cause: e });
    }
  }
  const witnesses = (input.witnesses ?? []).map(parseWitness);
  if (witnesses.length > MAX_WITNESSES)
    throw new VmicError('BAD_REQUEST', `at most ${MAX_WITNESSES} witnesses`);
  if (new Set(witnesses.map((w) => w.key)).size !== witnesses.length)
    throw new VmicError('BAD_REQUEST', 'a witness is named twice');
  // Fail closed: naming witnesses without a quorum asks for all of them.
  const quorum = input.witnessQuorum ?? witnesses.length;
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnesses.length)
    throw new VmicError(
      'BAD_REQUEST',
      `--witness-quorum must be between 0 and the ${witnesses.length} witnesses named`,
    );
  if (witnesses.length && policy === 'off')
    throw new VmicError('BAD_REQUEST', '--witness needs --log require or warn');
  return {
    log_policy: policy,
    log_key: key,
    log_key_source: key === null ? null : 'pinned',
    log_key_at: key === null ? null : pinnedAt,
    log_witnesses: witnesses.length ? JSON.stringify(witnesses) : null,
    log_witness_quorum: quorum,
  };
}

/** The witnesses stored with a subscription. */
export function witnessesOf(r: { log_witnesses: string | null }): WitnessSpec[] {
  return r.log_witnesses === null ? [] : (JSON.parse(r.log_witnesses) as WitnessSpec[]);
}

export function logOf(r: Selectable<SubscriptionTable>): SubscriptionLog {
  return {
    policy: r.log_policy,
    key:
      r.log_key !== null
        ? {
            text: r.log_key,
            // Checked when stored; read back without parsing, so that one bad row never
            // breaks every listing.
            origin: r.log_key.slice(0, Math.max(0, r.log_key.indexOf('+'))),
            source: r.log_key_source ?? 'pinned',
            at: r.log_key_at ?? '',
          }
        : undefined,
    witnesses: witnessesOf(r),
    quorum: r.log_witness_quorum,
  };
}
