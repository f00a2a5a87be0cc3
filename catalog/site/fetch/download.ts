import fs from 'node:fs';
import type http from 'node:http';
import { once } from 'node:events';
import { finished, pipeline } from 'node:stream/promises';
import { VmicError } from '../../../errors/index.ts';
import { DigestingStream, WRITE_BUFFER_BYTES, type Digest } from '../../blobs/digest.ts';
import { openGet, type OpenResponse } from '../../net/http-client.ts';

export interface DownloadTarget {
  url: string;
  /** The signed size: the body may not go past it. */
  byteSize: number;
}

export interface DownloadOptions {
  /** Abort when no byte arrives for this long (threat: a server that stalls the run forever). */
  idleTimeoutMs: number;
  /**
   * Abort (`TOO_SLOW`) when fewer than `minBytesPerSecond × rateWindowMs` bytes arrive in
   * one window. Threat: a host that sends a byte just often enough to beat the idle
   * timeout, holding the fetch lock for ever.
   */
  minBytesPerSecond: number;
  rateWindowMs: number;
  /** Abort (`TOO_SLOW`) when this download, every request included, is not done by then. */
  deadlineMs: number;
  onProgress?: (onDisk: number, justArrived: number) => void;
  /** Also compute SHA-512 (the hash a HEPiX image list signs), in the same pass. */
  sha512?: boolean;
}

export interface DownloadResult {
  digest: Digest;
  /** Bytes that were already in the partial file and kept (0: downloaded from the start). */
  resumedFrom: number;
}

/**
 * Downloads into `partial`, hashing while streaming, never holding the image in memory.
 * An existing partial file is hashed first and the rest requested with `Range`
 * (RFC 9110 §14.2); a server that ignores the range (200), refuses it (416) or answers
 * with another range makes us start again from byte 0. The body is cut off at the signed
 * size with `TOO_LARGE` (threat: endless data filling the disk), and the partial file is
 * then removed. Network errors, and a download ended by the deadline or the throughput
 * floor (`TOO_SLOW`), leave the partial file for the next run to resume: its bytes are at
 * most the signed size, and are judged by the signed hash like any others once complete,
 * so keeping them costs nothing in trust and lets a slow but honest link make progress.
 *
 * The returned digest is of the whole file; the caller compares it with the signed values.
 */
export async function downloadToPartial(
  partial: string,
  target: DownloadTarget,
  opts: DownloadOptions,
): Promise<DownloadResult> {
  try {
    return await download(partial, target, opts);
  } catch (e) {
    if (e instanceof VmicError && e.code === 'TOO_LARGE') fs.rmSync(partial, { force: true });
    throw e;
  }
}

async function download(
  partial: string,
  target: DownloadTarget,
  opts: DownloadOptions,
): Promise<DownloadResult> {
  let offset = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
  if (offset > target.byteSize) offset = 0;
  // Bytes flowing through the hasher reach whichever watchdog this download has then.
  const progress: Progress = {};
  const hash = hasher(target, opts, progress);
  if (offset > 0) offset = await hash.absorbFile(partial);
  // A complete partial file (stopped before the rename) needs no request: judged as usual.
  if (offset === target.byteSize && offset > 0)
    return { digest: hash.digest(), resumedFrom: offset };

  // The watchdog starts after the kept bytes are hashed (our disk is not the server's slowness).
  const watch = new Watchdog(target.url, opts);
  try {
    return await transfer(partial, target, opts, { offset, hash, progress }, watch);
  } finally {
    watch.stop();
  }
}

/** The requests and the body, from `kept.offset` on (0: from the start). */
async function transfer(
  partial: string,
  target: DownloadTarget,
  opts: DownloadOptions,
  kept: { offset: number; hash: DigestingStream; progress: Progress },
  watch: Watchdog,
): Promise<DownloadResult> {
  let { offset, hash } = kept;
  const restart = () => {
    offset = 0;
    hash = hasher(target, opts, kept.progress);
  };
  let res = await request(target.url, offset, watch);
  if (offset > 0 && !acceptsResume(res.response, offset)) {
    if (res.response.statusCode === 200) {
      restart(); // the server ignores Range: this full body replaces the partial file
    } else {
      res.close();
      restart();
      res = await request(target.url, 0, watch);
    }
  }
  const status = res.response.statusCode ?? 0;
  if (status !== 200 && !(status === 206 && offset > 0)) {
    res.close();
    throw new VmicError('FETCH_FAILED', `${target.url}: HTTP ${status}`);
  }
  const declared = Number(res.response.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && offset + declared > target.byteSize) {
    res.close();
    throw new VmicError(
      'TOO_LARGE',
      `${target.url}: ${offset + declared} bytes declared, the signed size is ${target.byteSize}`,
    );
  }

  let seen = offset;
  kept.progress.onBytes = (bytes) => {
    watch.received(bytes - seen);
    opts.onProgress?.(bytes, bytes - seen);
    seen = bytes;
  };
  const sink = fs.createWriteStream(partial, {
    flags: offset > 0 ? 'a' : 'w',
    mode: 0o640,
    highWaterMark: WRITE_BUFFER_BYTES,
  });
  try {
    // Outside the pipeline: a cut must not destroy the file stream's queued bytes.
    await pipeline(res.response, hash, async (body: AsyncIterable<Buffer>) => {
      for await (const chunk of body) if (!sink.write(chunk)) await once(sink, 'drain');
    });
    sink.end();
    await finished(sink);
  } catch (e) {
    if (!sink.writableEnded && !sink.destroyed) sink.end(); // keep what arrived, flushed
    if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
    throw watch.failure(e);
  } finally {
    res.close();
  }
  watch.stop();
  const digest = hash.digest();
  // Unframed: the body ends with the connection, so a short one may be a cut (kept to resume).
  if (digest.size < target.byteSize && !framed(res.response))
    throw new VmicError(
      'FETCH_FAILED',
      `${target.url}: connection closed after ${digest.size} of ${target.byteSize} bytes`,
    );
  // No fsync here: bytes become durable where they move into the cache or quarantine.
  return { digest, resumedFrom: offset };
}

function framed(res: http.IncomingMessage): boolean {
  return (
    res.headers['content-length'] !== undefined ||
    /\bchunked\b/i.test(String(res.headers['transfer-encoding'] ?? ''))
  );
}

/** A 206 is usable only if it starts exactly where our partial file ends (RFC 9110 §14.4). */
function acceptsResume(res: http.IncomingMessage, offset: number): boolean {
  if (res.statusCode !== 206) return false;
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
  return m !== null && Number(m[1]) === offset;
}

/** One GET (following redirects under the client's policy), under the download's watchdog. */
async function request(url: string, offset: number, watch: Watchdog): Promise<OpenResponse> {
  try {
    return await openGet(url, {
      signal: watch.signal,
      onActivity: () => watch.touch(),
      ...(offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {}),
    });
  } catch (e) {
    throw watch.failure(e);
  }
}

/**
 * Ends one download that is not making progress, by aborting its requests: no byte for
 * `idleTimeoutMs` (`FETCH_FAILED`), fewer bytes in a window than the throughput floor
 * asks, or past the deadline (`TOO_SLOW`). Windows are counted from the first request, so
 * a server that is slow to answer at all uses up its window too.
 */
class Watchdog {
  private readonly controller = new AbortController();
  private reason: VmicError | undefined;
  private idle: NodeJS.Timeout | undefined;
  private readonly window: NodeJS.Timeout;
  private readonly deadline: NodeJS.Timeout;
  private inWindow = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly opts: DownloadOptions,
  ) {
    const floor = opts.minBytesPerSecond * (opts.rateWindowMs / 1000);
    this.window = setInterval(() => {
      if (this.inWindow < floor)
        this.abort(
          new VmicError(
            'TOO_SLOW',
            `${url}: ${this.inWindow} bytes in the last ${seconds(opts.rateWindowMs)}, ` +
              `below the site's floor of ${opts.minBytesPerSecond} bytes/s ` +
              `(policy fetch-min-rate over fetch-rate-window); ` +
              `the bytes received so far are kept and the next fetch resumes from them`,
          ),
        );
      this.inWindow = 0;
    }, opts.rateWindowMs);
    this.deadline = setTimeout(
      () =>
        this.abort(
          new VmicError(
            'TOO_SLOW',
            `${url}: not complete after ${seconds(opts.deadlineMs)} (policy fetch-deadline); ` +
              `the bytes received so far are kept and the next fetch resumes from them`,
          ),
        ),
      opts.deadlineMs,
    );
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Restarts the idle timer (at each request and each chunk). */
  touch(): void {
    clearTimeout(this.idle);
    if (this.stopped) return;
    this.idle = setTimeout(
      () =>
        this.abort(
          new VmicError('FETCH_FAILED', `${this.url}: no data for ${this.opts.idleTimeoutMs} ms`),
        ),
      this.opts.idleTimeoutMs,
    );
  }

  received(bytes: number): void {
    this.inWindow += bytes;
    this.touch();
  }

  /** Maps an error of a request or its body to why it was aborted, else FETCH_FAILED. */
  failure(e: unknown): VmicError {
    if (this.reason) return this.reason;
    if (e instanceof VmicError) return e;
    return new VmicError('FETCH_FAILED', `${this.url}: ${(e as Error).message}`, { cause: e });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.idle);
    clearInterval(this.window);
    clearTimeout(this.deadline);
  }

  private abort(reason: VmicError): void {
    if (this.reason) return;
    this.reason = reason;
    this.stop();
    this.controller.abort(reason);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * The one streaming hasher (blobs/digest.ts): SHA-256, and SHA-512 when asked for, failing
 * once the total passes the signed size.
 */
interface Progress {
  onBytes?: (bytes: number) => void;
}

function hasher(
  target: DownloadTarget,
  opts: DownloadOptions,
  progress: Progress,
): DigestingStream {
  return new DigestingStream(target.byteSize, (bytes) => progress.onBytes?.(bytes), {
    sha512: opts.sha512 === true,
    tooLarge: `the body goes past the signed size ${target.byteSize}`,
  });
}
