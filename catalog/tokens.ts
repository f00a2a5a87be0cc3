import crypto from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { VmicError } from '../errors/index.ts';
import type { Instance } from './instance.ts';
import { checkEndorserName } from './names.ts';
import { writeTransaction } from './store/write-transaction.ts';
import { appendAudit } from './audit/audit-log.ts';

/**
 * Roles of docs/design.md §10; an endorser role is scoped to one endorser: `endorser:NAME`.
 * `metrics` may read /metrics and nothing else (server/auth.ts refuses it where any
 * principal may act), so that the token a monitoring system keeps opens no API.
 * `cosigner:ENDORSER/SIGNER` lets a signed-in person sign ENDORSER's pending catalog as its
 * co-signer SIGNER, and nothing else; it is personal (one person, one signature), so it
 * comes from a sign-in (SAML role mapping, demo sign-in) and never from a token.
 */
export type Role =
  | 'admin'
  | 'site-approver'
  | 'auditor'
  | 'metrics'
  | `endorser:${string}`
  | `cosigner:${string}/${string}`;

export function parseRole(text: string): Role {
  if (text === 'admin' || text === 'site-approver' || text === 'auditor' || text === 'metrics')
    return text;
  if (text.startsWith('endorser:')) return `endorser:${checkEndorserName(text.slice(9))}`;
  const cosigner = /^cosigner:([^/]*)\/([^/]*)$/.exec(text);
  if (cosigner)
    return `cosigner:${checkEndorserName(cosigner[1]!)}/${checkEndorserName(cosigner[2]!)}`;
  throw new VmicError(
    'BAD_REQUEST',
    `unknown role ${JSON.stringify(text)}: use admin, site-approver, auditor, metrics, endorser:NAME or cosigner:ENDORSER/SIGNER`,
  );
}

/** The role that lets a signed-in person sign ENDORSER's pending catalog as SIGNER. */
export const cosignerRole = (endorser: string, signer: string): Role =>
  `cosigner:${endorser}/${signer}`;

export interface Principal {
  /** Who acts, as written into the audit log. */
  id: string;
  roles: Role[];
}

const ISSUER = 'vmic';
const AUDIENCE = 'vmic-api';
export const MAX_TOKEN_TTL_SECONDS = 366 * 24 * 3600;

/**
 * API bearer tokens: short JWTs (HS256 with a key derived from the master key), each with
 * a recorded id so that it can be revoked and so that the audit log names the token.
 */
export async function createToken(
  inst: Instance,
  input: { role: Role; ttlSeconds: number; description?: string; actor: string },
): Promise<{ token: string; id: string; expiresAt: string }> {
  if (
    !Number.isSafeInteger(input.ttlSeconds) ||
    input.ttlSeconds < 1 ||
    input.ttlSeconds > MAX_TOKEN_TTL_SECONDS
  ) {
    throw new VmicError('BAD_REQUEST', 'token lifetime must be between 1 second and 366 days');
  }
  if (input.role.startsWith('cosigner:'))
    throw new VmicError(
      'BAD_REQUEST',
      'a co-signer role is personal: it is given to a person at sign-in (SAML role mapping), never to a token',
    );
  const id = crypto.randomUUID();
  const now = inst.now();
  const exp = new Date(now.getTime() + input.ttlSeconds * 1000);
  const token = await new SignJWT({ role: input.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setJti(id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(exp.getTime() / 1000))
    .sign(inst.keys.tokens);
  await writeTransaction(inst.store, async (tx) => {
    await tx
      .insertInto('api_tokens')
      .values({
        id,
        role: input.role,
        endorser: input.role.startsWith('endorser:') ? input.role.slice(9) : null,
        description: input.description ?? null,
        created_at: now.toISOString(),
        expires_at: exp.toISOString(),
        revoked_at: null,
      })
      .execute();
    await appendAudit(tx, {
      at: now,
      actor: input.actor,
      action: 'token.created',
      subject: `token:${id}`,
      details: { role: input.role, expires: exp.toISOString() },
    });
  });
  return { token, id, expiresAt: exp.toISOString() };
}

/** Verifies a bearer token: signature, algorithm allow-list, issuer, audience, expiry, revocation. */
/** A token's claims once its signature and claims were checked (see `verifiedClaims`). */
interface VerifiedClaims {
  jti: string;
  role: unknown;
  /** Expiry, ms since the epoch. */
  exp: number;
}

/** Verified tokens kept per instance; bounded, oldest out. */
const MAX_VERIFIED = 1024;
const verified = new WeakMap<Instance, Map<string, VerifiedClaims>>();

/**
 * The claims of a token, checked once per instance and then kept: the deploy gate is asked
 * by the same deployment system with the same token thousands of times a second, and the
 * HMAC and claim checks were a tenth of each answer. Kept by the exact token string, so a
 * kept entry is a token this instance verified; its expiry is compared with the clock on
 * every use, and revocation is read from the database on every use (`verifyToken`).
 */
async function verifiedClaims(inst: Instance, token: string): Promise<VerifiedClaims> {
  let kept = verified.get(inst);
  if (!kept) verified.set(inst, (kept = new Map<string, VerifiedClaims>()));
  const hit = kept.get(token);
  if (hit) {
    if (inst.now().getTime() < hit.exp) return hit;
    kept.delete(token);
    throw new VmicError('UNAUTHENTICATED', 'token expired');
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(token, inst.keys.tokens, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: inst.now(),
      requiredClaims: ['jti', 'exp'],
    }));
  } catch (e) {
    const expired = e instanceof joseErrors.JWTExpired;
    throw new VmicError('UNAUTHENTICATED', expired ? 'token expired' : 'invalid token', {
      cause: e,
    });
  }
  const claims = { jti: String(payload.jti), role: payload.role, exp: (payload.exp ?? 0) * 1000 };
  if (kept.size >= MAX_VERIFIED) {
    const oldest = kept.keys().next().value;
    if (oldest !== undefined) kept.delete(oldest);
  }
  kept.set(token, claims);
  return claims;
}

export async function verifyToken(inst: Instance, token: string): Promise<Principal> {
  if (token.length > 4096) throw new VmicError('UNAUTHENTICATED', 'token too long');
  const claims = await verifiedClaims(inst, token);
  // Read on every use, never kept (threat: a revoked token still answered from memory,
  // which with replicas would be another replica's memory: a token revoked through one
  // must stop on every other at its next request). Only the signature check is kept.
  const row = await inst.store.db
    .selectFrom('api_tokens')
    .select(['role', 'revoked_at'])
    .where('id', '=', claims.jti)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || row.role !== claims.role)
    throw new VmicError('UNAUTHENTICATED', 'token revoked or unknown');
  return { id: `token:${claims.jti}`, roles: [parseRole(row.role)] };
}
