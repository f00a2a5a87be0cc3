import { VmicError } from '../../errors/index.ts';
import { answerExcerpt, apiRequest, jsonOf } from '../net/api-request.ts';
import type { KeystoneConnection, NameOrId } from './glance-connection.ts';

/**
 * Keystone v3 token issue (POST /v3/auth/tokens) by password or application credential,
 * and the image endpoint from the token's service catalog. The token is kept in memory for
 * the run and renewed five minutes before it expires, so an upload of many GiB that
 * outlasts it does not fail half-way through the next request.
 */
export interface KeystoneToken {
  token: string;
  expiresAt: Date;
  imageEndpoint: string;
}

const ANSWER_BYTES = 4 * 1024 * 1024;
const IDLE_MS = 60_000;
const RENEW_BEFORE_MS = 5 * 60_000;

export async function issueToken(c: KeystoneConnection): Promise<KeystoneToken> {
  const what = `Keystone ${c.authUrl}`;
  const a = await apiRequest('POST', `${c.authUrl}/auth/tokens`, {
    body: { auth: authBody(c) },
    idleMs: IDLE_MS,
    maxBytes: ANSWER_BYTES,
    what,
    failCode: 'GLANCE_FAILED',
    ca: c.ca,
  });
  if (a.status === 401)
    throw new VmicError(
      'UNAUTHENTICATED',
      `${what}: credentials of ${c.source} refused (HTTP 401)`,
    );
  if (a.status !== 201 && a.status !== 200)
    throw new VmicError('GLANCE_FAILED', `${what}: HTTP ${a.status}: ${answerExcerpt(a)}`);
  const token = a.headers.get('x-subject-token');
  if (!token) throw new VmicError('GLANCE_FAILED', `${what}: no X-Subject-Token in the answer`);
  const body = jsonOf(a, what, 'GLANCE_FAILED').token as Record<string, unknown> | undefined;
  const expiresAt = new Date(typeof body?.expires_at === 'string' ? body.expires_at : NaN);
  if (Number.isNaN(expiresAt.getTime()))
    throw new VmicError('GLANCE_FAILED', `${what}: the token has no expires_at`);
  const imageEndpoint = c.imageEndpointOverride ?? endpointOf(body?.catalog, c, what);
  return { token, expiresAt, imageEndpoint };
}

function authBody(c: KeystoneConnection): Record<string, unknown> {
  if (c.identity.kind === 'application-credential') {
    const i = c.identity;
    return {
      identity: {
        methods: ['application_credential'],
        application_credential: i.id
          ? { id: i.id, secret: i.secret }
          : { name: i.name, user: ref(i.user ?? {}), secret: i.secret },
      },
    };
  }
  return {
    identity: {
      methods: ['password'],
      password: { user: { ...ref(c.identity.user), password: c.identity.password } },
    },
    ...(c.project ? { scope: { project: ref(c.project) } } : {}),
  };
}

/** `{id}` when the id is known, else `{name, domain}`: what Keystone accepts for either. */
function ref(x: NameOrId): Record<string, unknown> {
  if (x.id) return { id: x.id };
  const domain = x.domain?.id ? { id: x.domain.id } : { name: x.domain?.name };
  return { name: x.name, domain };
}

/** The `image` service's endpoint for the configured interface and region. */
function endpointOf(catalog: unknown, c: KeystoneConnection, what: string): string {
  const services = Array.isArray(catalog) ? (catalog as Record<string, unknown>[]) : [];
  const image = services.find((s) => s.type === 'image');
  const endpoints = Array.isArray(image?.endpoints)
    ? (image.endpoints as Record<string, unknown>[])
    : [];
  const match = endpoints.find(
    (e) =>
      e.interface === c.interface &&
      (c.regionName === undefined || e.region_id === c.regionName || e.region === c.regionName),
  );
  if (typeof match?.url !== 'string')
    throw new VmicError(
      'CONFIG',
      `${what}: the service catalog has no ${c.interface} image endpoint${c.regionName ? ` in region ${c.regionName}` : ''}; set image_endpoint_override in ${c.source}`,
    );
  return match.url;
}

/** A token source for the run: issues once, renews before expiry. */
export function keystoneSession(c: KeystoneConnection, now: () => Date = () => new Date()) {
  let current: KeystoneToken | undefined;
  return {
    async token(): Promise<KeystoneToken> {
      if (!current || current.expiresAt.getTime() - RENEW_BEFORE_MS <= now().getTime())
        current = await issueToken(c);
      return current;
    },
    /** Drops the token: the next request gets a new one (after a 401 for this one). */
    forget(): void {
      current = undefined;
    },
  };
}
