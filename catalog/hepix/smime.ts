import crypto from 'node:crypto';
import { VmicError } from '../../errors/index.ts';

/*
 * S/MIME multipart/signed (RFC 5751 §3.5.3, RFC 1847) as `openssl smime -sign` writes it
 * and vmcaster (M2Crypto) too: outer headers and boundaries with LF, the first part the
 * signed content verbatim in canonical form (CRLF line ends), the second part the
 * detached PKCS#7 signature in base64. The first part has no headers of its own, so that
 * `openssl smime -verify` prints bare JSON and vmcatcher/atrope can parse what they verified.
 */

export interface SignedMime {
  /** Exactly the bytes the detached signature covers (first part, canonical CRLF form). */
  signedContent: Buffer;
  /** DER of the detached CMS SignedData. */
  signature: Buffer;
}

const SIG_TYPES = ['application/x-pkcs7-signature', 'application/pkcs7-signature'];

/** RFC 5751 §3.1.1: text is signed with CRLF line ends; bare LFs become CRLF. */
export function canonicalText(content: Buffer | string): Buffer {
  const s = Buffer.isBuffer(content) ? content.toString('latin1') : content;
  const out = s.replace(/\r?\n/g, '\r\n');
  return Buffer.isBuffer(content) ? Buffer.from(out, 'latin1') : Buffer.from(out, 'utf8');
}

/** Wraps canonical content and its detached signature into the message openssl would write. */
export function buildSignedMime(signedContent: Buffer, signature: Uint8Array): Buffer {
  let boundary: string;
  do boundary = `----${crypto.randomBytes(16).toString('hex').toUpperCase()}`;
  while (signedContent.includes(boundary));
  const b64 = (
    Buffer.from(signature)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n');
  const head =
    'MIME-Version: 1.0\n' +
    `Content-Type: multipart/signed; protocol="application/x-pkcs7-signature"; micalg="sha-256"; boundary="${boundary}"\n\n` +
    'This is an S/MIME signed message\n\n' +
    `--${boundary}\n`;
  const tail =
    `\n--${boundary}\n` +
    'Content-Type: application/x-pkcs7-signature; name="smime.p7s"\n' +
    'Content-Transfer-Encoding: base64\n' +
    'Content-Disposition: attachment; filename="smime.p7s"\n\n' +
    `${b64}\n\n--${boundary}--\n\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), signedContent, Buffer.from(tail, 'latin1')]);
}

/**
 * Splits a multipart/signed message into the signed bytes and the signature. Everything
 * here is untrusted: the parse is strict and any surprise is MALFORMED. Only the bytes of
 * the first part are returned for verification, so that nothing outside the signature
 * (preamble, epilogue, outer headers) can reach the list reader.
 */
export function parseSignedMime(message: Uint8Array): SignedMime {
  const msg = Buffer.from(message);
  const { headers, bodyStart } = readHeaders(msg, 0, 'message');
  const ct = parseContentType(headers.get('content-type'), 'message');
  if (ct.type !== 'multipart/signed')
    throw malformed(`expected multipart/signed, got ${ct.type || 'no Content-Type'}`);
  const protocol = ct.params.get('protocol')?.toLowerCase();
  if (protocol === undefined || !SIG_TYPES.includes(protocol))
    throw malformed(`multipart/signed protocol ${protocol ?? '(none)'} is not PKCS#7`);
  const boundary = ct.params.get('boundary');
  if (!boundary || boundary.length > 70)
    throw malformed('multipart/signed without a valid boundary');

  const parts = splitParts(msg.subarray(bodyStart), boundary);
  if (parts.length !== 2)
    throw malformed(`multipart/signed must have 2 parts, found ${parts.length}`);
  const [content, sigPart] = parts as [Buffer, Buffer];
  const sig = readHeaders(sigPart, 0, 'signature part');
  const sigType = parseContentType(sig.headers.get('content-type'), 'signature part').type;
  if (!SIG_TYPES.includes(sigType)) throw malformed(`signature part has type ${sigType}`);
  if ((sig.headers.get('content-transfer-encoding') ?? '').trim().toLowerCase() !== 'base64')
    throw malformed('signature part must be base64');
  const b64 = sigPart
    .subarray(sig.bodyStart)
    .toString('latin1')
    .replace(/[\r\n\t ]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
    throw malformed('signature part is not valid base64');
  return { signedContent: canonicalText(content), signature: Buffer.from(b64, 'base64') };
}

/**
 * The body of the verified content: the content itself, or, when the signer used
 * `openssl smime -sign -text`, what follows its own `Content-Type: text/plain` header.
 */
export function signedBody(content: Uint8Array): string {
  const buf = Buffer.from(content);
  const first = buf.toString('latin1').trimStart()[0];
  if (first === '{') return buf.toString('utf8');
  const { headers, bodyStart } = readHeaders(buf, 0, 'signed part');
  const type = parseContentType(headers.get('content-type'), 'signed part').type;
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (type !== 'text/plain' || !['7bit', '8bit', 'binary'].includes(cte))
    throw malformed(`signed part must be plain JSON or text/plain, got ${type} (${cte})`);
  return buf.subarray(bodyStart).toString('utf8');
}

function malformed(message: string): VmicError {
  return new VmicError('MALFORMED', `S/MIME: ${message}`, { rule: 'smime' });
}

/** RFC 5322 header block (unfolded, names lower-cased) ending at the first empty line. */
function readHeaders(
  buf: Buffer,
  from: number,
  what: string,
): { headers: Map<string, string>; bodyStart: number } {
  const headers = new Map<string, string>();
  let pos = from;
  let last: string | undefined;
  for (;;) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl === -1) throw malformed(`${what}: headers do not end`);
    const line = buf.subarray(pos, nl).toString('latin1').replace(/\r$/, '');
    pos = nl + 1;
    if (line === '') return { headers, bodyStart: pos };
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      headers.set(last, `${headers.get(last)!} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`${what}: not a header line`);
    last = line.slice(0, colon).trim().toLowerCase();
    if (headers.has(last)) throw malformed(`${what}: header ${last} repeated`);
    headers.set(last, line.slice(colon + 1).trim());
  }
}

function parseContentType(
  value: string | undefined,
  what: string,
): { type: string; params: Map<string, string> } {
  if (value === undefined) throw malformed(`${what}: no Content-Type`);
  const [type, ...rest] = value.split(';');
  const params = new Map<string, string>();
  const re = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"([^"]*)"|([^\s;"]+))\s*$/;
  for (const p of rest) {
    if (p.trim() === '') continue;
    const m = re.exec(p);
    if (!m) throw malformed(`${what}: bad Content-Type parameter`);
    params.set(m[1]!.toLowerCase(), m[2] ?? m[3]!);
  }
  return { type: type!.trim().toLowerCase(), params };
}

/**
 * RFC 2046 §5.1.1: a delimiter is `--boundary` at the start of a line; the line break
 * before it belongs to the delimiter, not to the part. Returns the parts between the first
 * delimiter and the close delimiter.
 */
function splitParts(body: Buffer, boundary: string): Buffer[] {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const starts: { at: number; contentEnd: number; close: boolean; next: number }[] = [];
  let pos = 0;
  while (pos <= body.length) {
    const i = body.indexOf(delim, pos);
    if (i === -1) break;
    pos = i + delim.length;
    if (i !== 0 && body[i - 1] !== 0x0a) continue;
    const nl = body.indexOf(0x0a, pos);
    const lineEnd = nl === -1 ? body.length : nl;
    const restOfLine = body.subarray(pos, lineEnd).toString('latin1').replace(/\r$/, '');
    const close = restOfLine.startsWith('--');
    if (restOfLine.replace(/^--/, '').trim() !== '') continue;
    const contentEnd = i === 0 ? 0 : i - (i >= 2 && body[i - 2] === 0x0d ? 2 : 1);
    starts.push({ at: i, contentEnd, close, next: nl === -1 ? body.length : nl + 1 });
    if (close) break;
  }
  if (starts.length === 0 || !starts[starts.length - 1]!.close)
    throw malformed('multipart body has no close delimiter');
  const parts: Buffer[] = [];
  for (let k = 0; k + 1 < starts.length; k++)
    parts.push(
      body.subarray(starts[k]!.next, Math.max(starts[k]!.next, starts[k + 1]!.contentEnd)),
    );
  return parts;
}
