import net from 'node:net';
import type { Request, RequestHandler } from 'express';
import type { Instance } from '../catalog/index.ts';
import { VmicError } from '../errors/index.ts';
import { bearerResolver } from './auth.ts';
import { cidrBlock, clientAddress } from './client-address.ts';

/**
 * Who may read /metrics. Closed by default: without an allow-list a bearer token with the
 * role `metrics` (or `admin`) is required. With an allow-list, only those client addresses
 * may read it, without a token unless `requireToken` (then both).
 *
 * Threat: the metrics name subscriptions, reason codes and traffic, which is
 * reconnaissance for an attacker; and each scrape decides every image, so an open
 * /metrics is also a cheap way to load the server.
 */
export interface MetricsAccess {
  /** CIDR blocks (`127.0.0.1/32`, `::1/128`, or a bare address) whose clients may read. */
  allow?: readonly string[] | undefined;
  /** With `allow`: also require the token. Without `allow` the token is always required. */
  requireToken?: boolean | undefined;
}

const ROLES = ['metrics', 'admin'];

/** Parses a CIDR list (from `--metrics-allow`, comma-separated); refuses anything else. */
export function parseCidrList(text: string | readonly string[]): string[] {
  const items = typeof text === 'string' ? text.split(',') : [...text];
  const out = items.map((s) => s.trim()).filter((s) => s !== '');
  for (const c of out) cidrBlock(c);
  if (out.length === 0) throw new VmicError('CONFIG', 'the metrics allow-list is empty');
  return out;
}

function blockList(cidrs: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const c of cidrs) {
    const { address, prefix, family } = cidrBlock(c);
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/**
 * The client is `clientAddress`: the socket's peer, unless that peer is a proxy named by
 * `--trust-proxy`, and then the client that proxy reports in X-Forwarded-For. Never a
 * forwarded-for header from anyone else (threat: a header any client can write, e.g.
 * `X-Forwarded-For: 127.0.0.1` to pass a loopback allow-list).
 *
 * Why not always the socket's peer: behind a proxy every client is the proxy, so an
 * allow-list that admits the proxy's address (nginx on 127.0.0.1, Prometheus on the same
 * host) would admit every client on the internet. With `--trust-proxy` naming that proxy
 * the decision is on the client it forwards, which is the only safe reading; without
 * `--trust-proxy` it is the socket's peer, exactly as before. Behind a proxy that is not
 * trusted, do not allow its address unless the proxy itself restricts /metrics.
 */
function clientAllowed(list: net.BlockList, req: Request): boolean {
  const ip = clientAddress(req);
  const version = net.isIP(ip);
  if (version === 0) return false;
  // An IPv4 client may be listed as itself or as ::ffff:a.b.c.d.
  if (version === 4) return list.check(ip, 'ipv4') || list.check(`::ffff:${ip}`, 'ipv6');
  return list.check(ip, 'ipv6');
}

/** The access check in front of /metrics: 401/403 problems, like the rest of the API. */
export function metricsAccess(inst: Instance, access: MetricsAccess = {}): RequestHandler {
  const allow = access.allow && access.allow.length > 0 ? blockList(access.allow) : undefined;
  const tokenRequired = !allow || access.requireToken === true;
  const bearer = bearerResolver(inst);
  return async (req, _res, next) => {
    if (allow && !clientAllowed(allow, req))
      throw new VmicError('FORBIDDEN', 'this client address may not read the metrics');
    if (tokenRequired) {
      const principal = await bearer(req);
      if (!principal)
        throw new VmicError('UNAUTHENTICATED', 'a bearer token with the role metrics is required');
      if (!principal.roles.some((r) => ROLES.includes(r)))
        throw new VmicError('FORBIDDEN', 'requires one of the roles metrics, admin');
    }
    next();
  };
}
