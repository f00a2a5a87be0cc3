import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { VmicError } from '../../errors/index.ts';
import { parseRole, type Instance, type Role } from '../../catalog/index.ts';
import { deriveKey } from '../../catalog/secrets/master-key.ts';
import { jsonPointer } from '../../catalog/schema-check.ts';
import { checkWebConfigFile, type SamlFile } from './web-config-schema.ts';

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
 * (e.g. to share it between replicas). Every bad value fails with its own CONFIG message,
 * naming the key by its JSON pointer.
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
  const file = checkWebConfigFile(raw, ctx.source);
  if (ctx.sessionSecret.length < 32)
    throw new VmicError('CONFIG', 'VMIC_SESSION_SECRET must be at least 32 characters');
  const at = (...segments: (string | number)[]) => `${ctx.source}: ${jsonPointer(...segments)}`;
  const { sessionIdleMinutes: idle, sessionAbsoluteHours: absolute } = file;
  return {
    demoMode: ctx.demoMode,
    ...(file.saml === undefined
      ? {}
      : { saml: parseSaml(file.saml, ctx.publicUrl, ctx.baseDir, at) }),
    sessionSecret: ctx.sessionSecret,
    cookieSecure: new URL(ctx.publicUrl).protocol === 'https:',
    sessionIdleSeconds: idle === undefined ? DEFAULT_IDLE_SECONDS : Math.round(idle * 60),
    sessionAbsoluteSeconds:
      absolute === undefined ? DEFAULT_ABSOLUTE_SECONDS : Math.round(absolute * 3600),
  };
}

/** The checked `saml` object, with what its schema cannot check: URL, certificates, roles. */
function parseSaml(
  s: SamlFile,
  publicUrl: string,
  baseDir: string,
  at: (...segments: (string | number)[]) => string,
): SamlSettings {
  const entryPoint = httpUrl(s.entryPoint.trim(), at('saml', 'entryPoint'));
  const roleMapping: Record<string, Role[]> = {};
  for (const [value, roles] of Object.entries(s.roleMapping)) {
    roleMapping[value] = (Array.isArray(roles) ? roles : [roles]).map((r) => {
      try {
        return parseRole(r);
      } catch (e) {
        throw new VmicError(
          'CONFIG',
          `${at('saml', 'roleMapping', value)}: ${(e as Error).message}`,
        );
      }
    });
  }
  return {
    entryPoint,
    idpIssuer: s.idpIssuer.trim(),
    idpCerts: s.idpCerts.map((c, i) =>
      certificatePem(c.trim(), baseDir, at('saml', 'idpCerts', i)),
    ),
    spEntityId: s.spEntityId === undefined ? `${publicUrl}/saml/metadata` : s.spEntityId.trim(),
    callbackUrl: `${publicUrl}/saml/acs`,
    idpOrigin: new URL(entryPoint).origin,
    roleAttribute: s.roleAttribute.trim(),
    roleMapping,
    forceAuthn: s.forceAuthn === true,
  };
}

/** A PEM text, or the path of a PEM file (relative to the config file); parsed to be sure. */
function certificatePem(text: string, baseDir: string, where: string): string {
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

function httpUrl(text: string, where: string): string {
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
