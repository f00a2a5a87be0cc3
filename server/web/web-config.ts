import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { VmicError } from '../../pki/errors.ts';
import { parseRole, type Instance, type Role } from '../../catalog/index.ts';
import { deriveKey } from '../../catalog/secrets/master-key.ts';

/** SAML 2.0 service-provider settings for one identity provider. */
export interface SamlSettings {
  /** IdP single sign-on URL (HTTP-Redirect binding). */
  readonly entryPoint: string;
  /** IdP entityID; the Issuer of every response must equal it. */
  readonly idpIssuer: string;
  /** PEM certificates the IdP signs with; several during a key rollover. */
  readonly idpCerts: readonly string[];
  /** Our entityID; also the audience every assertion must name. */
  readonly spEntityId: string;
  /** `publicUrl + '/saml/acs'`: where the IdP posts its response. */
  readonly callbackUrl: string;
  /** The IdP's origin, allowed as a form target by the HTML CSP. */
  readonly idpOrigin: string;
  /** Attribute whose values map to roles, e.g. eduPersonEntitlement or groups. */
  readonly roleAttribute: string;
  readonly roleMapping: Readonly<Record<string, readonly Role[]>>;
  /** Make the IdP show its login form even when it has a session (SAML ForceAuthn). */
  readonly forceAuthn: boolean;
}

export interface WebConfig {
  /** `vmic demo`: adds the local development sign-in; never set by `vmic serve`. */
  readonly demoMode: boolean;
  readonly saml?: SamlSettings;
  /** Signs the session cookie. */
  readonly sessionSecret: Buffer;
  /** True when the public URL is https: cookies get Secure and the `__Host-` prefix. */
  readonly cookieSecure: boolean;
  /** A session unused this long ends. */
  readonly sessionIdleSeconds: number;
  /** A session ends this long after sign-in, however active. */
  readonly sessionAbsoluteSeconds: number;
}

export const WEB_CONFIG_FILE = 'web.json';
const DEFAULT_IDLE_SECONDS = 30 * 60;
const DEFAULT_ABSOLUTE_SECONDS = 8 * 3600;

/**
 * The session key is derived from the instance's API-token key with HKDF under its own
 * purpose label. HKDF is one-way, so the session key reveals nothing of the token key, and
 * it follows the master key (`$VMIC_MASTER_KEY` or `DATA/master.key`) without reading it
 * a second time.
 */
export function sessionKeyOf(inst: Instance): Buffer {
  return deriveKey(inst.keys.tokens, 'web sessions');
}

/**
 * Reads the web configuration once at start-up: `$VMIC_WEB_CONFIG`, else `DATA/web.json`
 * (absent: no SAML sign-in). `$VMIC_SESSION_SECRET` overrides the derived session key
 * (e.g. to share it between replicas). Every bad value fails with its own CONFIG message.
 */
export function loadWebConfig(
  inst: Instance,
  opts: { demoMode: boolean; env?: NodeJS.ProcessEnv },
): WebConfig {
  const env = opts.env ?? process.env;
  const file = env.VMIC_WEB_CONFIG || path.join(inst.config.dataDir, WEB_CONFIG_FILE);
  let raw: unknown = {};
  if (fs.existsSync(file)) {
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new VmicError('CONFIG', `${file}: not valid JSON: ${(e as Error).message}`);
    }
  } else if (env.VMIC_WEB_CONFIG) {
    throw new VmicError('CONFIG', `VMIC_WEB_CONFIG names a missing file: ${file}`);
  }
  return parseWebConfig(raw, {
    publicUrl: inst.config.publicUrl,
    demoMode: opts.demoMode,
    baseDir: path.dirname(file),
    sessionSecret: env.VMIC_SESSION_SECRET
      ? Buffer.from(env.VMIC_SESSION_SECRET, 'utf8')
      : sessionKeyOf(inst),
    source: file,
  });
}

export function parseWebConfig(
  raw: unknown,
  ctx: {
    publicUrl: string;
    demoMode: boolean;
    baseDir: string;
    sessionSecret: Buffer;
    source: string;
  },
): WebConfig {
  const at = (key: string) => `${ctx.source}: ${key}`;
  const obj = record(raw, ctx.source);
  if (ctx.sessionSecret.length < 32)
    throw new VmicError('CONFIG', 'VMIC_SESSION_SECRET must be at least 32 characters');
  const idle = optionalSeconds(obj.sessionIdleMinutes, 60, at('sessionIdleMinutes'));
  const absolute = optionalSeconds(obj.sessionAbsoluteHours, 3600, at('sessionAbsoluteHours'));
  return {
    demoMode: ctx.demoMode,
    ...(obj.saml === undefined
      ? {}
      : { saml: parseSaml(record(obj.saml, at('saml')), ctx.publicUrl, ctx.baseDir, at) }),
    sessionSecret: ctx.sessionSecret,
    cookieSecure: new URL(ctx.publicUrl).protocol === 'https:',
    sessionIdleSeconds: idle ?? DEFAULT_IDLE_SECONDS,
    sessionAbsoluteSeconds: absolute ?? DEFAULT_ABSOLUTE_SECONDS,
  };
}

function parseSaml(
  s: Record<string, unknown>,
  publicUrl: string,
  baseDir: string,
  at: (key: string) => string,
): SamlSettings {
  const entryPoint = httpUrl(s.entryPoint, at('saml.entryPoint'));
  const certs = s.idpCerts;
  if (!Array.isArray(certs) || certs.length === 0)
    throw new VmicError('CONFIG', `${at('saml.idpCerts')}: give one or more certificates`);
  const mapping = record(s.roleMapping, at('saml.roleMapping'));
  const roleMapping: Record<string, Role[]> = {};
  for (const [value, roles] of Object.entries(mapping)) {
    const list = Array.isArray(roles) ? roles : [roles];
    roleMapping[value] = list.map((r) => {
      if (typeof r !== 'string')
        throw new VmicError('CONFIG', `${at(`saml.roleMapping.${value}`)}: roles are strings`);
      try {
        return parseRole(r);
      } catch (e) {
        throw new VmicError(
          'CONFIG',
          `${at(`saml.roleMapping.${value}`)}: ${(e as Error).message}`,
        );
      }
    });
  }
  if (s.forceAuthn !== undefined && typeof s.forceAuthn !== 'boolean')
    throw new VmicError('CONFIG', `${at('saml.forceAuthn')}: must be true or false`);
  return {
    entryPoint,
    idpIssuer: nonEmpty(s.idpIssuer, at('saml.idpIssuer')),
    idpCerts: certs.map((c, i) => certificatePem(c, baseDir, at(`saml.idpCerts[${i}]`))),
    spEntityId:
      s.spEntityId === undefined
        ? `${publicUrl}/saml/metadata`
        : nonEmpty(s.spEntityId, at('saml.spEntityId')),
    callbackUrl: `${publicUrl}/saml/acs`,
    idpOrigin: new URL(entryPoint).origin,
    roleAttribute: nonEmpty(s.roleAttribute, at('saml.roleAttribute')),
    roleMapping,
    forceAuthn: s.forceAuthn === true,
  };
}

/** A PEM text, or the path of a PEM file (relative to the config file); parsed to be sure. */
function certificatePem(value: unknown, baseDir: string, where: string): string {
  const text = nonEmpty(value, where);
  const pem = text.includes('-----BEGIN CERTIFICATE-----')
    ? text
    : readFile(path.resolve(baseDir, text), where);
  try {
    new crypto.X509Certificate(pem);
  } catch (e) {
    throw new VmicError('CONFIG', `${where}: not a PEM certificate: ${(e as Error).message}`);
  }
  return pem;
}

function readFile(file: string, where: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new VmicError('CONFIG', `${where}: cannot read ${file}: ${(e as Error).message}`);
  }
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new VmicError('CONFIG', `${where}: must be a JSON object`);
  return value as Record<string, unknown>;
}

function nonEmpty(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new VmicError('CONFIG', `${where}: must be a non-empty string`);
  return value.trim();
}

function httpUrl(value: unknown, where: string): string {
  const text = nonEmpty(value, where);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new VmicError('CONFIG', `${where}: not a URL: ${text}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new VmicError('CONFIG', `${where}: must be an http(s) URL: ${text}`);
  return text;
}

function optionalSeconds(value: unknown, unit: number, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 10_000)
    throw new VmicError('CONFIG', `${where}: must be a positive number`);
  return Math.round(value * unit);
}
