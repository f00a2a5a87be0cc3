/**
 * Signatures made and checked by stock OpenSSL as endorsers, vmcaster users and auditors
 * do it: `openssl cms -sign` / `-verify` and `openssl smime -sign`. Signatures are
 * written to files (`-out`), so their size never meets a pipe's buffer.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openssl, opensslOk, type OpensslResult } from './run.ts';

export interface Signer {
  certFile: string;
  keyFile: string;
}

/** `openssl cms -sign -nodetach` (attached, DER, SHA-256) of the file `input` into `out`. */
export function opensslCmsSignFile(input: string, signer: Signer, out: string): string {
  opensslOk(
    ['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256']
      .concat(['-in', input, '-signer', signer.certFile, '-inkey', signer.keyFile])
      .concat(['-out', out]),
  );
  return out;
}

/**
 * One attached SignedData with a SignerInfo per signer, as stock OpenSSL makes a co-signed
 * document (`openssl cms -sign -signer A -inkey A -signer B -inkey B …`).
 */
export function opensslCmsCoSign(dir: string, content: string, signers: Signer[]): Buffer {
  const input = path.join(dir, `content-${crypto.randomUUID()}.nq`);
  fs.writeFileSync(input, content);
  const out = `${input}.p7m`;
  opensslOk(
    ['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256', '-in', input]
      .concat(signers.flatMap((s) => ['-signer', s.certFile, '-inkey', s.keyFile]))
      .concat(['-out', out]),
  );
  return fs.readFileSync(out);
}

/** An attached-signature CMS (`openssl cms -sign -nodetach`), DER, as an endorser could make it. */
export function opensslCmsSign(dir: string, content: string, signer: Signer): Buffer {
  const input = path.join(dir, `content-${crypto.randomUUID()}.nq`);
  fs.writeFileSync(input, content);
  return fs.readFileSync(opensslCmsSignFile(input, signer, `${input}.p7m`));
}

/**
 * `openssl cms -verify` exactly as docs/design.md §3 documents it for catalog auditors:
 * attached, or detached with `detachedContent`. Never throws; `stdout` is the content.
 */
export function opensslCmsVerify(
  p7: string,
  anchors: string,
  detachedContent?: string,
): OpensslResult {
  return openssl(
    ['cms', '-verify', '-binary', '-inform', 'DER', '-in', p7]
      .concat(detachedContent ? ['-content', detachedContent] : [])
      .concat(['-CAfile', anchors, '-purpose', 'any']),
  );
}

/** Signs exactly as vmcaster's users do it: stock `openssl smime -sign` over the JSON file. */
export function opensslSmimeSign(
  dir: string,
  json: string,
  keys: { cert: string; key: string; chain?: string },
  extra: string[] = [],
): Buffer {
  const input = path.join(dir, `list-${crypto.randomUUID()}.json`);
  fs.writeFileSync(input, json);
  const out = `${input}.smime`;
  opensslOk(
    ['smime', '-sign', '-signer', keys.cert, '-inkey', keys.key]
      .concat(keys.chain ? ['-certfile', keys.chain] : [])
      .concat([...extra, '-in', input, '-out', out]),
  );
  return fs.readFileSync(out);
}

/** `openssl smime -verify -CAfile anchors`; never throws; `stdout` is the signed text. */
export function opensslSmimeVerify(file: string, anchors: string): OpensslResult {
  return openssl(['smime', '-verify', '-CAfile', anchors, '-in', file]);
}
