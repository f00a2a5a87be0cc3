import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VmicError, type ErrorCode } from '../../errors/index.ts';
import { openPost } from '../net/http-client.ts';
import { knownCode } from '../../errors/index.ts';
import { boundedGet } from '../net/http-client.ts';

/** A refusal that the receiver sent back (problem+json), as opposed to one of ours. */
export class ReceiverRefusal extends VmicError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly migrationId: string,
    rule?: string,
  ) {
    super(code, message, rule === undefined ? {} : { rule });
  }
}

/** A bundle's bytes: the header, then the sealed chunks. */
export async function* bundleBody(
  header: Buffer,
  chunks: AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  yield header;
  yield* chunks;
}

/**
 * How many chunks of a transfer the receiver holds (`GET /api/v1/transfers/{id}`), or
 * undefined when it holds none that can resume. Bounded like every read from a peer.
 */
export async function heldChunks(
  transfersUrl: string,
  migrationId: string,
): Promise<number | undefined> {
  const res = await boundedGet(`${transfersUrl}/${migrationId}`, {
    maxBytes: MAX_RESPONSE_BYTES,
    timeoutMs: 30_000,
    what: `the receiver's state of migration ${migrationId}`,
  });
  if (res.status === 404) return undefined;
  if (res.status === 409)
    throw new VmicError(
      'CONFLICT',
      `the receiver is still receiving migration ${migrationId} (it has not yet seen the connection end); try again shortly`,
    );
  if (res.status !== 200)
    throw new VmicError(
      'FETCH_FAILED',
      `the receiver answered HTTP ${res.status} for migration ${migrationId}`,
    );
  const body = JSON.parse(res.body.toString('utf8')) as { chunksHeld?: unknown };
  const n = body.chunksHeld;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new VmicError('FETCH_FAILED', 'the receiver answered without a chunk count');
  return n;
}

/**
 * Sealed chunks are produced only as the socket takes them (a byte stream that reads one
 * chunk ahead), not the sixteen objects an object-mode stream would buffer: memory stays
 * a few chunks whatever the image size (threat: a large image exhausting the sender).
 */
export const AHEAD = { objectMode: false, highWaterMark: 1 } as const;

/** The receiver's answer is a small JSON document: more is refused (threat: endless data). */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** No byte either way for this long ends the transfer (threat: a receiver that stalls us). */
export const IDLE_TIMEOUT_MS = 120_000;
/**
 * Once the last byte is sent, the receiver has only to check the GCM tag and the plaintext
 * hash it computed while streaming, and commit: its answer must come within this time.
 */
export const ANSWER_DEADLINE_MS = 10 * 60_000;

/**
 * Streams the bundle to the receiver; its refusal (problem+json) comes back with its code
 * as a ReceiverRefusal. The answer is read up to MAX_RESPONSE_BYTES, with an idle timeout
 * for the whole exchange and a deadline once the body is sent.
 */
export function send(
  url: string,
  body: AsyncIterable<Buffer>,
  length: number,
  migrationId: string,
  limits: { idleMs?: number; answerMs?: number; maxBytes?: number } = {},
): Promise<unknown> {
  const maxBytes = limits.maxBytes ?? MAX_RESPONSE_BYTES;
  return new Promise((resolve, reject) => {
    let settled = false;
    let deadline: NodeJS.Timeout | undefined;
    const settle = (err: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value);
    };
    // No redirect is followed: the bundle goes to the peer's configured URL only.
    const req = openPost(url, {
      headers: { 'content-type': 'application/vnd.vmic.transfer', 'content-length': length },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (c: Buffer) => {
        received += c.length;
        if (received > maxBytes) {
          settle(
            new VmicError('TOO_LARGE', `${url}: the receiver's answer exceeds ${maxBytes} bytes`),
          );
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        let parsed: { code?: string; detail?: string; rule?: string } & Record<string, unknown> =
          {};
        try {
          const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          // Only an object is read further (threat: a receiver answering `null` or a
          // number, which would throw inside this handler and crash the sender).
          if (typeof body === 'object' && body !== null && !Array.isArray(body))
            parsed = body as typeof parsed;
        } catch {
          // not JSON: reported below by status
        }
        if (res.statusCode === 201 || res.statusCode === 200) settle(undefined, parsed);
        else {
          // The receiver's code is checked against ours, not cast: an unknown one is
          // FETCH_FAILED, quoted in the message.
          const { code, unknown } = knownCode(parsed.code, 'FETCH_FAILED');
          const detail =
            typeof parsed.detail === 'string' ? parsed.detail : `HTTP ${res.statusCode}`;
          settle(
            new ReceiverRefusal(
              code,
              `receiver refused the transfer${unknown ? ` with unknown code ${unknown}` : ''}: ${detail}`,
              migrationId,
              typeof parsed.rule === 'string' ? parsed.rule : undefined,
            ),
          );
        }
      });
      res.on('error', (e) => settle(e));
    });
    req.setTimeout(limits.idleMs ?? IDLE_TIMEOUT_MS, () =>
      settle(
        new VmicError(
          'TOO_SLOW',
          `${url}: no progress for ${(limits.idleMs ?? IDLE_TIMEOUT_MS) / 1000} s`,
          {
            rule: 'transfer.idle',
          },
        ),
      ),
    );
    req.on('finish', () => {
      deadline = setTimeout(
        () =>
          settle(
            new VmicError(
              'TOO_SLOW',
              `${url}: no answer within ${(limits.answerMs ?? ANSWER_DEADLINE_MS) / 1000} s of the last byte sent`,
              { rule: 'transfer.answer' },
            ),
          ),
        limits.answerMs ?? ANSWER_DEADLINE_MS,
      );
    });
    // A receiver that refuses the manifest answers before the body is sent and closes the
    // connection; the write then fails. Its answer (with the reason code) is what counts,
    // so a write error waits briefly for it before reporting a network failure.
    const failed = (e: unknown) =>
      setTimeout(
        () =>
          settle(new VmicError('FETCH_FAILED', `${url}: ${(e as Error).message}`, { cause: e })),
        2000,
      ).unref();
    req.on('error', failed);
    // An error of our own source (the cached image changed: HASH_MISMATCH) is ours to
    // report at once, with its code; the connection is cut before the final chunk.
    let ours: unknown;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield* body;
      } catch (e) {
        ours = e;
        throw e;
      }
    }
    pipeline(Readable.from(source(), AHEAD), req).catch((e: unknown) =>
      ours === undefined ? failed(e) : settle(ours as Error),
    );
  });
}
