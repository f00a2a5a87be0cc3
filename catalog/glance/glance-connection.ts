/**
 * How `vmic glance sync` reaches Glance: straight at an endpoint (a Glance run without
 * Keystone, as in the tests), or through Keystone v3, which issues a token and names the
 * image endpoint in its service catalog. Credentials live here for the run only: they are
 * read from the operator's clouds.yaml (clouds-yaml.ts), never stored by vmic.
 */
export type GlanceConnection = NoAuthConnection | KeystoneConnection;

interface ConnectionBase {
  /** Where it was configured, for messages: `clouds.yaml cloud "prod"`, `--glance-url`. */
  source: string;
  /** CA certificates (PEM) for https endpoints, instead of the system's. */
  ca?: Buffer | undefined;
}

export interface NoAuthConnection extends ConnectionBase {
  auth: 'none';
  /** The Glance endpoint root (`http://glance:9292`), without `/v2`. */
  imageEndpoint: string;
}

export interface KeystoneConnection extends ConnectionBase {
  auth: 'password' | 'application-credential';
  /** The Keystone v3 root, ending in `/v3`. */
  authUrl: string;
  identity: PasswordIdentity | ApplicationCredential;
  /** Project scope of a password token; an application credential carries its own. */
  project?: NameOrId | undefined;
  regionName?: string | undefined;
  interface: 'public' | 'internal' | 'admin';
  /** `image_endpoint_override`: use this instead of the catalog's endpoint. */
  imageEndpointOverride?: string | undefined;
}

/** A Keystone object named by id, or by name within a domain (named by id or name). */
export interface NameOrId {
  id?: string | undefined;
  name?: string | undefined;
  domain?: { id?: string | undefined; name?: string | undefined } | undefined;
}

export interface PasswordIdentity {
  kind: 'password';
  user: NameOrId;
  password: string;
}

export interface ApplicationCredential {
  kind: 'application-credential';
  /** By id, or by name with the user who owns it. */
  id?: string | undefined;
  name?: string | undefined;
  user?: NameOrId | undefined;
  secret: string;
}
