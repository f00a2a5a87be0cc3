import { PkiError } from './errors.ts';

/** RFC 7468 textual encoding: base64 wrapped at 64 columns between labelled boundaries. */
export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Every PEM block of `text` (optionally only those labelled `label`). PEM files come
 * from users and remote sites, so a block that is not strict base64 (RFC 7468 §3) or
 * whose END label differs is rejected rather than half-decoded.
 */
export function pemToDers(text: string, label?: string): Uint8Array[] {
  const ders: Uint8Array[] = [];
  let blocks = 0;
  for (const m of text.matchAll(BLOCK)) {
    blocks++;
    const [, begin, body, end] = m as unknown as [string, string, string, string];
    if (begin !== end) throw new PkiError('MALFORMED', `PEM block BEGIN ${begin} ends with ${end}`);
    if (label !== undefined && begin !== label) continue;
    const compact = body.replace(/\s+/g, '');
    if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) {
      throw new PkiError('MALFORMED', `PEM block ${begin} is not valid base64`);
    }
    ders.push(new Uint8Array(Buffer.from(compact, 'base64')));
  }
  if (blocks === 0) throw new PkiError('MALFORMED', 'no PEM block found');
  return ders;
}
