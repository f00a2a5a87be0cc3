import { VmicError } from '../../errors/index.ts';
import { boundedGet } from '../net/bounded-fetch.ts';
import type { LogFetcher } from './log-check.ts';

/** Bounds on a log answer (threat: an endorser host answering without end, or never). */
const MAX_BYTES = 1024 * 1024;

/**
 * The log of the vmic instance that serves a feed: `https://host/prefix/feeds/cern/` →
 * `https://host/prefix/log/`. Undefined for a URL that is not a vmic feed (a HEPiX list).
 */
export function logBaseOf(feedUrl: string): string | undefined {
  const u = new URL(feedUrl);
  const i = u.pathname.lastIndexOf('/feeds/');
  if (i < 0) return undefined;
  return `${u.origin}${u.pathname.slice(0, i)}/log/`;
}

/** Reads proofs from an instance's `/log/` through vmic's one HTTP client. */
export function httpLogFetcher(base: string, timeoutMs: number): LogFetcher {
  const json = async (path: string): Promise<unknown> => {
    const url = new URL(path, base).toString();
    const r = await boundedGet(url, { maxBytes: MAX_BYTES, timeoutMs, what: `log ${url}` });
    // A 4xx is the log's refusal (no such proof: a dropped entry, a fork), not a failure to
    // reach it, which a 5xx or no answer is.
    if (r.status >= 400 && r.status < 500)
      throw new VmicError('NOT_FOUND', `log ${url}: HTTP ${r.status}`);
    if (r.status !== 200) throw new VmicError('FETCH_FAILED', `log ${url}: HTTP ${r.status}`);
    try {
      return JSON.parse(r.body.toString('utf8')) as unknown;
    } catch {
      throw new VmicError('MALFORMED', `log ${url}: not JSON`);
    }
  };
  return {
    async inclusion(endorser, sequence) {
      const v = (await json(`proof/catalog/${encodeURIComponent(endorser)}/${sequence}`)) as Record<
        string,
        unknown
      >;
      if (
        typeof v?.index !== 'number' ||
        typeof v.leaf !== 'string' ||
        typeof v.treeSize !== 'number' ||
        typeof v.checkpoint !== 'string' ||
        !Array.isArray(v.proof) ||
        v.proof.length > 64 ||
        !v.proof.every((p) => typeof p === 'string')
      )
        throw new VmicError('MALFORMED', 'an inclusion proof without its fields');
      return v as unknown as Awaited<ReturnType<LogFetcher['inclusion']>>;
    },
    async consistency(from, to) {
      const v = (await json(`proof/consistency?from=${from}&to=${to}`)) as { proof?: unknown };
      if (
        !Array.isArray(v?.proof) ||
        v.proof.length > 128 ||
        !v.proof.every((p) => typeof p === 'string')
      )
        throw new VmicError('MALFORMED', 'a consistency proof without its hashes');
      return v.proof;
    },
  };
}
