import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { VmicError } from '../../errors/index.ts';
import type { GlanceConnection, NameOrId } from './glance-connection.ts';

/**
 * Reads a cloud from clouds.yaml the way OpenStack's own tools do (openstacksdk's
 * os-client-config): `OS_CLIENT_CONFIG_FILE` first, then `./`, `~/.config/openstack/`,
 * `/etc/openstack/`, first file found wins; `secure.yaml` from the same places (or
 * `OS_CLIENT_SECURE_FILE`) is merged over it, so passwords can live in a file of their own.
 * Supported `auth_type`s: `password`/`v3password`, `v3applicationcredential`, `none`.
 * What vmic does not support is refused by name rather than ignored (threat: a cloud entry
 * that silently talks to another endpoint, or without TLS verification, than the operator
 * believes).
 */
export interface CloudsEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
}

const MAX_FILE_BYTES = 1024 * 1024;

export function defaultCloudsEnv(): CloudsEnv {
  return { env: process.env, cwd: process.cwd(), home: os.homedir() };
}

function searchDirs(e: CloudsEnv): string[] {
  const config = e.env.XDG_CONFIG_HOME || path.join(e.home, '.config');
  return [e.cwd, path.join(config, 'openstack'), '/etc/openstack'];
}

function findFile(e: CloudsEnv, override: string | undefined, base: string): string | undefined {
  if (override) return override;
  for (const dir of searchDirs(e))
    for (const ext of ['yaml', 'yml', 'json']) {
      const file = path.join(dir, `${base}.${ext}`);
      if (fs.existsSync(file)) return file;
    }
  return undefined;
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (stat.size > MAX_FILE_BYTES)
      throw new VmicError('CONFIG', `${file}: larger than ${MAX_FILE_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof VmicError) throw e;
    throw new VmicError('CONFIG', `${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new VmicError('CONFIG', `${file}: not YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new VmicError('CONFIG', `${file}: expected a mapping at the top`);
  return doc as Record<string, unknown>;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    out[k] = isMap(old) && isMap(v) ? merge(old, v) : v;
  }
  return out;
}

/** The named cloud's entry, with secure.yaml merged over it. */
export function readCloudEntry(
  name: string,
  e: CloudsEnv = defaultCloudsEnv(),
): {
  file: string;
  entry: Record<string, unknown>;
} {
  const file = findFile(e, e.env.OS_CLIENT_CONFIG_FILE, 'clouds');
  if (!file)
    throw new VmicError(
      'CONFIG',
      `no clouds.yaml found (looked in OS_CLIENT_CONFIG_FILE, ${searchDirs(e).join(', ')})`,
    );
  const clouds = readYaml(file).clouds;
  const entry = isMap(clouds) && Object.hasOwn(clouds, name) ? clouds[name] : undefined;
  if (!isMap(entry))
    throw new VmicError(
      'CONFIG',
      `${file}: no cloud ${JSON.stringify(name)}; it has: ${isMap(clouds) ? Object.keys(clouds).join(', ') || 'none' : 'no clouds: mapping'}`,
    );
  const secureFile = findFile(e, e.env.OS_CLIENT_SECURE_FILE, 'secure');
  const secure = secureFile ? readYaml(secureFile).clouds : undefined;
  const extra = isMap(secure) && Object.hasOwn(secure, name) ? secure[name] : undefined;
  return { file, entry: isMap(extra) ? merge(entry, extra) : entry };
}

/** `clouds.yaml` → how to reach Glance. */
export function connectionFromCloud(
  name: string,
  e: CloudsEnv = defaultCloudsEnv(),
): GlanceConnection {
  const { file, entry } = readCloudEntry(name, e);
  const source = `clouds.yaml cloud ${JSON.stringify(name)} (${file})`;
  const field = (obj: Record<string, unknown>, key: string): string | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    // A number is refused, not converted: YAML reads `password: 0123` as 123 and a long
    // all-digit id in exponent form, and other tools read it differently again (YAML 1.1
    // octal), so the credential sent would silently not be the one written.
    if (typeof v === 'number')
      throw new VmicError(
        'CONFIG',
        `${source}: ${key} must be a quoted string (YAML read it as the number ${v})`,
      );
    if (typeof v !== 'string') throw new VmicError('CONFIG', `${source}: ${key} must be a string`);
    return v;
  };
  if (entry.profile !== undefined)
    throw new VmicError(
      'CONFIG',
      `${source}: vendor profiles are not supported; spell out auth.auth_url`,
    );
  if (entry.verify === false || entry.insecure === true)
    throw new VmicError(
      'CONFIG',
      `${source}: turning TLS verification off is not supported; give the CA file as cacert`,
    );
  const cacert = field(entry, 'cacert');
  const ca = cacert ? readCa(cacert, source) : undefined;
  const auth = isMap(entry.auth) ? entry.auth : {};
  const a = (key: string) => field(auth, key);
  const authType =
    field(entry, 'auth_type') ??
    (a('application_credential_secret') ? 'v3applicationcredential' : 'password');
  const override = field(entry, 'image_endpoint_override');

  if (authType === 'none' || authType === 'noauth') {
    const endpoint = override ?? a('endpoint');
    if (!endpoint)
      throw new VmicError('CONFIG', `${source}: auth_type none needs image_endpoint_override`);
    return { source, ca, auth: 'none', imageEndpoint: endpoint };
  }
  const authUrl = a('auth_url');
  if (!authUrl) throw new VmicError('CONFIG', `${source}: auth.auth_url is missing`);
  const iface = field(entry, 'interface') ?? 'public';
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin')
    throw new VmicError('CONFIG', `${source}: interface must be public, internal or admin`);
  const common = {
    source,
    ca,
    authUrl: v3Url(authUrl),
    regionName: field(entry, 'region_name') ?? firstRegion(entry.regions, source),
    interface: iface,
    imageEndpointOverride: override,
  } as const;
  // openstackclient's --os-default-domain: `default` names the domain of a name without one.
  const defaultDomain = a('default_domain_id') ?? 'default';
  const user: NameOrId = {
    id: a('user_id'),
    name: a('username'),
    domain: {
      id: a('user_domain_id') ?? (a('user_domain_name') ? undefined : defaultDomain),
      name: a('user_domain_name'),
    },
  };

  if (authType === 'password' || authType === 'v3password') {
    const password = a('password');
    if (!password || (!user.id && !user.name))
      throw new VmicError(
        'CONFIG',
        `${source}: password auth needs auth.username (or user_id) and auth.password`,
      );
    const projectId = a('project_id') ?? a('tenant_id');
    const projectName = a('project_name') ?? a('tenant_name');
    const project: NameOrId | undefined =
      projectId || projectName
        ? {
            id: projectId,
            name: projectName,
            domain: {
              id: a('project_domain_id') ?? (a('project_domain_name') ? undefined : defaultDomain),
              name: a('project_domain_name'),
            },
          }
        : undefined;
    return { ...common, auth: 'password', identity: { kind: 'password', user, password }, project };
  }
  if (authType === 'v3applicationcredential') {
    const secret = a('application_credential_secret');
    const id = a('application_credential_id');
    const name = a('application_credential_name');
    if (!secret || (!id && !name))
      throw new VmicError(
        'CONFIG',
        `${source}: v3applicationcredential needs auth.application_credential_id (or _name with the user) and _secret`,
      );
    if (!id && !user.id && !user.name)
      throw new VmicError('CONFIG', `${source}: an application credential by name needs its user`);
    return {
      ...common,
      auth: 'application-credential',
      identity: { kind: 'application-credential', id, name, user: id ? undefined : user, secret },
    };
  }
  throw new VmicError(
    'CONFIG',
    `${source}: auth_type ${JSON.stringify(authType)} is not supported (password, v3applicationcredential, none)`,
  );
}

/** Keystone's v3 root: clouds.yaml often names the unversioned endpoint. */
export function v3Url(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

function readCa(file: string, source: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new VmicError('CONFIG', `${source}: cacert ${file}: ${(e as Error).message}`);
  }
}

/** openstacksdk's rule: without `region_name`, the first of `regions` (a name or `{name}`). */
function firstRegion(regions: unknown, source: string): string | undefined {
  if (regions === undefined || regions === null) return undefined;
  const first: unknown = Array.isArray(regions) ? regions[0] : undefined;
  const name = isMap(first) ? first.name : first;
  if (typeof name !== 'string')
    throw new VmicError('CONFIG', `${source}: regions must be a list of region names`);
  return name;
}
