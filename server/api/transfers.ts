import { Router, type Request, type Response } from 'express';
import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../../catalog/index.ts';
import { MAX_MANIFEST_BYTES } from '../../catalog/migration/bundle-format.ts';
import { sealedSize } from '../../catalog/migration/chunked-aead.ts';
import { MIN_CHUNK_BYTES } from '../../catalog/migration/manifest.ts';
import { receiveTransfer } from '../../catalog/migration/receive.ts';
import { transferState } from '../../catalog/migration/resume-state.ts';
import { getSiteIdentity } from '../../catalog/migration/site-identity.ts';
import { clientAddress } from '../client-address.ts';
import { closeUnreadBodyAfterAnswer } from '../lingering-close.ts';
import { sendProblem } from '../problem.ts';
import { RateLimiter, type RateLimit } from './transfer-rate-limit.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

/**
 * Site-to-site endpoints (docs/design.md §8). They take no bearer token: a transfer is
 * authenticated by its signed manifest (a known peer's certificate, addressed to this
 * site, fresh, unseen), checked before any ciphertext is read; the identity is public.
 *
 * Work before authentication is bounded (threat: a stranger streaming gigabytes, or
 * sending transfers as fast as it can): a per-address rate limit before anything is read;
 * a declared length beyond what any transfer can be is refused unread; the manifest part
 * (at most 1 MiB) is read first and the sender must be a peer before a ciphertext byte is
 * read; and a refused transfer's body is never drained: the refusal is sent, the connection
 * closed after a short linger, and the unread bytes are left to TCP flow control.
 */
export function transfersApi(inst: Instance, opts: { rateLimit?: RateLimit } = {}): Router {
  const r = Router();
  const limiter = new RateLimiter(inst.store.db, opts.rateLimit);

  const routeOpts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };

  /**
   * The per-address limit, before anything is read (shared by both peer routes). Keyed by
   * the client address (client-address.ts): behind a `--trust-proxy` proxy, the peer the
   * proxy names, not the proxy, whose one bucket a single stranger would empty for every
   * peer; from anyone else, the socket's peer, because a forged X-Forwarded-For must not
   * buy a fresh bucket or empty another address's.
   */
  const limited = async (req: Request, res: Response): Promise<boolean> => {
    const wait = await limiter.take(clientAddress(req));
    if (wait <= 0) return false;
    res.setHeader('Retry-After', String(wait));
    sendProblem(
      res,
      'TOO_MANY_REQUESTS',
      `too many transfers from this address; retry in ${wait} s`,
    );
    return true;
  };

  // Resume (§8): how many chunks of an interrupted transfer are held. It tells a caller
  // who knows a migration id (random, and sent only inside the signed manifest) how far
  // that transfer got, nothing else; the chunks themselves never leave this site.
  route(
    r,
    ROUTES.transferState,
    async ({ params }, req, res) => {
      if (await limited(req, res)) return;
      const state = await transferState(inst, params.migrationId);
      if (state === 'running')
        throw new VmicError('CONFLICT', `migration ${params.migrationId} is being received now`);
      if (!state) throw new VmicError('NOT_FOUND', `no resumable transfer ${params.migrationId}`);
      res.json(state);
    },
    routeOpts,
  );

  route(
    r,
    ROUTES.siteIdentity,
    async (_in, _req, res) => {
      const id = await getSiteIdentity(inst);
      res.json({
        subject: id.subject,
        issuer: id.issuer,
        certificatePem: id.certificatePem,
        chainPem: id.chainPem,
      });
    },
    routeOpts,
  );

  route(
    r,
    ROUTES.transfer,
    async ({ query }, req, res) => {
      closeUnreadBodyAfterAnswer(req, res);
      if (await limited(req, res)) return;
      if (!req.is('application/vnd.vmic.transfer')) {
        throw new VmicError('BAD_REQUEST', 'a transfer is sent as application/vnd.vmic.transfer');
      }
      const declared = Number(req.get('content-length') ?? NaN);
      // The largest stream: the largest image in the smallest chunks a manifest may state.
      const most =
        12 + MAX_MANIFEST_BYTES + sealedSize(inst.config.limits.imageBytes, MIN_CHUNK_BYTES);
      if (declared > most)
        throw new VmicError('TOO_LARGE', `a transfer is at most ${most} bytes`, {
          rule: 'content-length',
        });
      const received = await receiveTransfer(inst, req, {
        via: `http from ${clientAddress(req)}`,
        actor: 'peer-transfer',
        from: query.from === undefined ? 0 : Number(query.from),
      });
      res.status(201).json({ state: 'imported', ...received });
    },
    routeOpts,
  );

  return r;
}
