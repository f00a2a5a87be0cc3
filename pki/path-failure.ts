import { PkiError, type PkiCode } from './errors.ts';
import type { CertNode } from './path-building.ts';

/**
 * One broken rule on one candidate path. Rules return these instead of throwing, so
 * `explainPath` can list every failure while `validatePath` throws the first: both run
 * the same rule functions and cannot disagree.
 */
export interface PathFailure {
  code: PkiCode;
  /** the named rule, e.g. `basicConstraints.cA` (RFC 5280 §4.2.1.9) */
  rule: string;
  message: string;
  /** RFC 4514 subject of the certificate the rule failed on, if it is about one */
  certificate?: string;
}

export function failure(
  code: PkiCode,
  rule: string,
  message: string,
  node?: CertNode,
): PathFailure {
  const f: PathFailure = {
    code,
    rule,
    message: node ? `${node.info.subject}: ${message}` : message,
  };
  if (node) f.certificate = node.info.subject;
  return f;
}

/** A PkiError from a shared check (the algorithm allow-list) as a failure of `node`. */
export function fromError(e: unknown, node: CertNode): PathFailure {
  if (!(e instanceof PkiError)) throw e;
  return failure(e.code, e.rule ?? 'unknown', e.message, node);
}

export function toError(f: PathFailure): PkiError {
  return new PkiError(f.code, f.message, { rule: f.rule });
}
