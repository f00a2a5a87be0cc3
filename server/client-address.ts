import net from 'node:net';
import type { Express, Request } from 'express';
import { VmicError } from '../errors/index.ts';

/**
 * Who the client is, for every decision about it (the per-address limit on transfers, the
 * /metrics allow-list) and every record of it (the `via` of a received transfer).
 *
 * By default the client is the socket's peer. Behind a reverse proxy that peer is the
 * proxy for every client: one per-address bucket would be shared by all peers, and one
 * stranger could empty it for everyone. `serve --trust-proxy CIDR,...` names the proxies:
 * only when the socket's peer is inside one of those networks is `X-Forwarded-For` read,
 * and the client is its right-most address that is not itself a trusted proxy. This is
 * express's own `trust proxy` with a list of subnets (proxy-addr), read as `req.ip`.
 *
 * Threat: `X-Forwarded-For` is a header any client can write. Believed from anyone, it
 * would let a client name a fresh address per request to get a fresh rate-limit bucket,
 * or name someone else's address to empty that one's bucket (framing it), or to pass an
 * address allow-list. So it is believed only from a trusted proxy, and only that proxy's
 * own entry counts: the proxy appends the address it saw (nginx:
 * `$proxy_add_x_forwarded_for`), so whatever the client wrote to the left of it is never
 * reached. A proxy that passes a client's header on without appending to it must not be
 * trusted, and neither may a network that untrusted clients connect from.
 */

/** One CIDR block (`10.0.0.0/8`, `::1/128`) or a bare address; anything else is refused. */
export function cidrBlock(cidr: string): {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
} {
  const [address = '', prefixText, extra] = cidr.split('/');
  const version = net.isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (
    version === 0 ||
    extra !== undefined ||
    (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) ||
    prefix > max
  )
    throw new VmicError(
      'CONFIG',
      `not an address or CIDR block: ${JSON.stringify(cidr)} (e.g. 10.0.0.0/8, ::1/128)`,
    );
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Parses `--trust-proxy` (or `$VMIC_TRUST_PROXY`): comma-separated CIDR blocks of the
 * reverse proxies in front of this server. A CONFIG error names what is wrong.
 */
export function parseTrustProxy(text: string | readonly string[]): string[] {
  const items = typeof text === 'string' ? text.split(',') : [...text];
  const out = items.map((s) => s.trim()).filter((s) => s !== '');
  if (out.length === 0) throw new VmicError('CONFIG', '--trust-proxy: the list is empty');
  for (const c of out) {
    let block;
    try {
      block = cidrBlock(c);
    } catch (e) {
      throw new VmicError('CONFIG', `--trust-proxy: ${(e as Error).message}`);
    }
    // A /0 trusts every address, i.e. any client's forged X-Forwarded-For.
    if (block.prefix === 0)
      throw new VmicError(
        'CONFIG',
        `--trust-proxy: ${c} would trust every client's X-Forwarded-For; name the proxies' networks`,
      );
  }
  return out;
}

/** Makes `req.ip` the client behind these proxies (none: the socket's peer, the default). */
export function trustProxies(app: Express, cidrs: readonly string[] | undefined): void {
  if (cidrs === undefined || cidrs.length === 0) return;
  const list = parseTrustProxy(cidrs);
  try {
    app.set('trust proxy', list);
  } catch (e) {
    // proxy-addr's own parser refusing what ours accepted: still a configuration error.
    throw new VmicError('CONFIG', `--trust-proxy: ${(e as Error).message}`);
  }
}

/**
 * The client's address: `req.ip` (the socket's peer, or the client a trusted proxy names),
 * with an IPv4 client on a dual-stack listener (`::ffff:a.b.c.d`) written as IPv4, so that
 * one client is one key however it arrived.
 */
export function clientAddress(req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress;
  if (ip === undefined || ip === '') return 'unknown';
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip;
}
