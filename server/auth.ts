import type { Request, RequestHandler } from 'express';
import { VmicError } from '../errors/index.ts';
import { verifyToken, type Instance, type Principal, type Role } from '../catalog/index.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** Who is acting, once a resolver recognised a credential; unset for anonymous requests. */
    principal?: Principal;
  }
}

/**
 * Turns one kind of credential into a principal: returns undefined when the request does
 * not carry that kind, throws UNAUTHENTICATED when it carries it but it is not valid.
 * The bearer resolver is built in; the web admin adds a session resolver.
 */
export type PrincipalResolver = (req: Request) => Promise<Principal | undefined>;

export function bearerResolver(inst: Instance): PrincipalResolver {
  return async (req) => {
    const header = req.get('authorization');
    if (header === undefined) return undefined;
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    if (!m) throw new VmicError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
    return verifyToken(inst, m[1]!);
  };
}

/** Sets `req.principal` from the first resolver that recognises a credential. */
export function authenticate(resolvers: readonly PrincipalResolver[]): RequestHandler {
  return async (req, _res, next) => {
    for (const resolve of resolvers) {
      const principal = await resolve(req);
      if (principal) {
        req.principal = principal;
        break;
      }
    }
    next();
  };
}

function principalOf(req: Request): Principal {
  if (!req.principal) throw new VmicError('UNAUTHENTICATED', 'authentication required');
  return req.principal;
}

/**
 * Every state-changing call is role-checked before its body is read (threat: an
 * unauthorised caller making the server store gigabytes, or activating a stage).
 */
export function requireRole(...allowed: Role[]): RequestHandler {
  return (req, _res, next) => {
    const p = principalOf(req);
    // A monitoring system's token reads /metrics only (least privilege for a token kept
    // in a monitoring configuration), not what is open to any principal.
    if (allowed.length === 0 && p.roles.every((r) => r === 'metrics'))
      throw new VmicError('FORBIDDEN', 'a metrics token may only read /metrics');
    if (allowed.length > 0 && !p.roles.some((r) => allowed.includes(r)))
      throw new VmicError('FORBIDDEN', `requires one of the roles ${allowed.join(', ')}`);
    next();
  };
}

/** Any authenticated principal. */
export const requirePrincipal: RequestHandler = requireRole();

/** `admin`, or the endorser role scoped to the endorser named in the path. */
export function requireEndorserRole(endorser: (req: Request) => string): RequestHandler {
  return (req, _res, next) => {
    const p = principalOf(req);
    const name = endorser(req);
    if (!p.roles.includes('admin') && !p.roles.includes(`endorser:${name}`))
      throw new VmicError('FORBIDDEN', `requires the role admin or endorser:${name}`);
    next();
  };
}

/**
 * Reading an endorser's pending catalog (docs/design.md §3, co-signed catalogs): `admin`,
 * `endorser:NAME`, or a co-signer role of that endorser, so that a co-signer sees what
 * they are asked to sign.
 */
export function requirePendingReader(endorser: (req: Request) => string): RequestHandler {
  return (req, _res, next) => {
    const p = principalOf(req);
    const name = endorser(req);
    const may = p.roles.some(
      (r) => r === 'admin' || r === `endorser:${name}` || r.startsWith(`cosigner:${name}/`),
    );
    if (!may)
      throw new VmicError(
        'FORBIDDEN',
        `requires the role admin, endorser:${name} or cosigner:${name}/SIGNER`,
      );
    next();
  };
}

/**
 * Signing as a co-signer: only `cosigner:ENDORSER/SIGNER` itself. Neither `admin` nor
 * `endorser:ENDORSER` may sign as a co-signer: a signature is personal (threat: one person
 * producing K signatures).
 */
export function requireCosignerRole(
  endorser: (req: Request) => string,
  signer: (req: Request) => string,
): RequestHandler {
  return (req, _res, next) => {
    const p = principalOf(req);
    const role = `cosigner:${endorser(req)}/${signer(req)}`;
    if (!p.roles.some((r) => r === role))
      throw new VmicError('FORBIDDEN', `only the role ${role} may sign as ${signer(req)}`);
    next();
  };
}

export function actorOf(req: Request): string {
  return principalOf(req).id;
}
