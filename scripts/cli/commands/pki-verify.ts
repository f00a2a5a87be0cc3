import { readFileSync } from 'node:fs';
import {
  EKU_OIDS,
  depthForIntermediates,
  ekuOid,
  explainPath,
  pemToDers,
} from '../../../pki/index.ts';
import { isVmicError } from '../../../errors/index.ts';
import type { PathExplanation, PathValidationInput } from '../../../pki/index.ts';
import { flag, parse, str, type Parsed } from '../options.ts';
import { EXIT, emit } from '../output.ts';
import { UsageError } from '../usage-error.ts';

export const PKI_VERIFY_USAGE =
  'usage: vmic pki verify CERT.pem [--chain F] --trust F [--crl F ...] [--at TIME] ' +
  '[--eku NAME|OID ...] [--max-depth N] [--leaf-key-usage digitalSignature|any] ' +
  '[--revocation best-effort|require] [--json]\n' +
  '  --max-depth N  at most N intermediate CAs between CERT and the anchor, as ' +
  '`openssl verify -verify_depth N` counts them (default 6)\n' +
  `  --eku          a purpose CERT's extKeyUsage must allow: ${Object.keys(EKU_OIDS).join(', ')}, or an OID\n` +
  "  --leaf-key-usage  what CERT's keyUsage must allow: digitalSignature (default, as " +
  'for every signer vmic verifies) or any (pure path validation)\n' +
  '  --revocation   require: fail when no CRL is held for an issuer; best-effort (default): ' +
  'accept that. A CRL given is never ignored: unusable → CRL_INVALID';

function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** Reads every PEM block of `label` in `file`; a file without one is a usage mistake. */
function readPem(file: string, label: 'CERTIFICATE' | 'X509 CRL'): Uint8Array[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const ders = pemToDers(text, label);
  if (ders.length === 0) throw new UsageError(`${file} holds no ${label} PEM block`);
  return ders;
}

function parseTime(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw new UsageError(`--at: not an ISO 8601 time: ${text}`);
  return t;
}

/** `openssl verify -verify_depth` semantics: intermediate CAs only, leaf and anchor not counted. */
function parseDepth(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n > 255)
    throw new UsageError(`--max-depth must be a number of intermediate CAs, 0-255, got ${text}`);
  return depthForIntermediates(n);
}

function parseEku(text: string): string {
  try {
    return ekuOid(text);
  } catch (e) {
    if (isVmicError(e)) throw new UsageError(`--eku: ${e.message}`);
    throw e;
  }
}

function humanLines(r: PathExplanation): string[] {
  const lines = ['chain (leaf first):'];
  r.chain.forEach((c, i) => {
    const role = i === 0 ? 'leaf' : c.isCA ? 'CA' : 'not a CA';
    lines.push(`  ${i}. ${c.subject}  [${role}]`);
    lines.push(`     issuer:    ${c.issuer}`);
    lines.push(`     validity:  ${c.notBefore.toISOString()} → ${c.notAfter.toISOString()}`);
    lines.push(`     key usage: ${c.keyUsage.length > 0 ? c.keyUsage.join(', ') : '(any)'}`);
  });
  if (r.trusted) return [...lines, 'trusted'];
  lines.push(`not trusted: ${r.failures.length} failed rule(s)`);
  for (const f of r.failures) lines.push(`  ${f.code} [${f.rule}] ${f.message}`);
  return lines;
}

/**
 * `vmic pki verify`: the path validation that imports run (docs/design.md §6 steps 4–5, same
 * function, same defaults: digitalSignature on the leaf, best-effort revocation), but
 * listing every failed rule of the best candidate path instead of stopping at the first.
 */
export async function pkiVerifyCommand(argv: string[]): Promise<number> {
  const { json, result } = await pkiVerify(argv);
  // The chain as data, without each certificate's DER (a byte array in JSON is noise).
  const view = { ...result, chain: result.chain.map(({ der: _der, ...rest }) => rest) };
  emit(json, view, () => humanLines(result));
  return result.trusted ? EXIT.ok : EXIT.refused;
}

/** The command without its output: the arguments read, the explanation computed. */
export async function pkiVerify(
  argv: string[],
): Promise<{ json: boolean; result: PathExplanation }> {
  const p = parse(argv, {
    chain: { type: 'string', multiple: true },
    trust: { type: 'string', multiple: true },
    crl: { type: 'string', multiple: true },
    at: { type: 'string' },
    eku: { type: 'string', multiple: true },
    'max-depth': { type: 'string' },
    revocation: { type: 'string' },
    'leaf-key-usage': { type: 'string' },
  });
  if (p.positionals.length !== 1) throw new UsageError(PKI_VERIFY_USAGE);
  const trust = list(p, 'trust');
  if (trust.length === 0) throw new UsageError(`--trust is required\n${PKI_VERIFY_USAGE}`);
  const revocation = str(p, 'revocation') ?? 'best-effort';
  if (revocation !== 'best-effort' && revocation !== 'require')
    throw new UsageError('--revocation must be best-effort or require');
  const leafKeyUsage = str(p, 'leaf-key-usage') ?? 'digitalSignature';
  if (leafKeyUsage !== 'digitalSignature' && leafKeyUsage !== 'any')
    throw new UsageError('--leaf-key-usage must be digitalSignature or any');
  const leaf = readPem(p.positionals[0] as string, 'CERTIFICATE')[0] as Uint8Array;
  const maxDepth = parseDepth(str(p, 'max-depth'));
  const input: PathValidationInput = {
    leaf,
    intermediates: list(p, 'chain').flatMap((f) => readPem(f, 'CERTIFICATE')),
    anchors: trust.flatMap((f) => readPem(f, 'CERTIFICATE')),
    crls: list(p, 'crl').flatMap((f) => readPem(f, 'X509 CRL')),
    time: parseTime(str(p, 'at')),
    revocation,
    leafKeyUsage: leafKeyUsage === 'any' ? 'none' : 'digitalSignature',
    requiredExtKeyUsage: list(p, 'eku').map(parseEku),
    ...(maxDepth === undefined ? {} : { maxDepth }),
  };
  return { json: flag(p, 'json'), result: await explainPath(input) };
}
