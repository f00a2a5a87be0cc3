import { Type, type Static } from '@sinclair/typebox';
import { VmicError } from '../../errors/index.ts';
import { firstMismatch } from '../../catalog/schema-check.ts';

/*
 * The shape of web.json, checked once at start-up by the same schema checker as API
 * requests. What a schema cannot say (a URL that parses, a PEM that is a certificate, a
 * role that exists) is checked by web-config.ts after it.
 */

/**
 * Text with something in it: a value of blanks would pass as set and fail only at the
 * first sign-in, far from its cause.
 */
const nonBlank = () => Type.String({ pattern: '\\S', description: 'must be a non-empty string' });

/** Bounded so a typo cannot keep sessions alive for years (threat: a stolen cookie living on). */
const duration = () =>
  Type.Number({ exclusiveMinimum: 0, maximum: 10_000, description: 'must be a positive number' });

const roles = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: 'roles are strings',
});

export const SamlFile = Type.Object(
  {
    entryPoint: nonBlank(),
    idpIssuer: nonBlank(),
    idpCerts: Type.Array(nonBlank(), {
      minItems: 1,
      description: 'give one or more certificates',
    }),
    spEntityId: Type.Optional(nonBlank()),
    roleAttribute: nonBlank(),
    // Every key, a group name with a line break included, maps to roles.
    roleMapping: Type.Record(Type.String({ pattern: '^[\\s\\S]*$' }), roles, {
      description: 'must be a JSON object',
    }),
    forceAuthn: Type.Optional(Type.Boolean({ description: 'must be true or false' })),
  },
  { description: 'must be a JSON object' },
);

export const WebConfigFile = Type.Object(
  {
    saml: Type.Optional(SamlFile),
    sessionIdleMinutes: Type.Optional(duration()),
    sessionAbsoluteHours: Type.Optional(duration()),
  },
  { description: 'must be a JSON object' },
);

export type SamlFile = Static<typeof SamlFile>;
export type WebConfigFile = Static<typeof WebConfigFile>;

/**
 * The parsed file, checked: the first mismatch is a CONFIG error naming the file and the
 * JSON pointer of the bad key (`web.json: /saml/entryPoint: must be a non-empty string`).
 * Keys it does not know are left alone.
 */
export function checkWebConfigFile(raw: unknown, source: string): WebConfigFile {
  const miss = firstMismatch(WebConfigFile, raw);
  if (!miss) return raw as WebConfigFile;
  const what = typeof miss.schema.description === 'string' ? miss.schema.description : miss.message;
  const where = miss.path === '' ? source : `${source}: ${miss.path}`;
  throw new VmicError('CONFIG', `${where}: ${what}`);
}
