import net from 'node:net';
import type { Request, RequestHandler } from 'express';
import type { Instance } from '../catalog/index.ts';
import { VmicError } from '../errors/index.ts';
import { bearerResolver } from './auth.ts';

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

function cidrBlock(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
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

function blockList(cidrs: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const c of cidrs) {
    const { address, prefix, family } = cidrBlock(c);
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/**
 * The client is the socket's peer, never a forwarded-for header (threat: a header any
 * client can write). Behind a reverse proxy every client is the proxy: do not allow its
 * address unless the proxy itself restricts /metrics.
 */
function clientAllowed(list: net.BlockList, req: Request): boolean {
  const raw = req.socket.remoteAddress;
  if (raw === undefined) return false;
  // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw)?.[1];
  if (mapped !== undefined) return list.check(mapped, 'ipv4') || list.check(raw, 'ipv6');
  return list.check(raw, net.isIPv6(raw) ? 'ipv6' : 'ipv4');
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
