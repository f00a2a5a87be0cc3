import fs from 'node:fs';
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import type { SbomFormat } from './sbom-format.ts';

/**
 * The official JSON Schemas shipped in ./schemas/ (their README says where each file comes
 * from), compiled with ajv, once per format and only when first needed (compiling the
 * CycloneDX 1.6 schema takes a moment; a server that never sees an SBOM never pays it).
 *
 * Every schema is added from disk before anything is compiled, and compilation is
 * synchronous with no `loadSchema`: a `$ref` that names anything not shipped fails to
 * compile instead of being fetched (threat: a schema reference that makes the server
 * fetch a URL, or validate against whatever that URL answers).
 */
const DIR = new URL('./schemas/', import.meta.url);

/** CycloneDX schemas refer to each other by file name, resolved against this base. */
const CYCLONEDX_BASE = 'http://cyclonedx.org/schema/';

const SHIPPED = [
  'bom-1.5.SNAPSHOT.schema.json',
  'bom-1.6.SNAPSHOT.schema.json',
  'spdx.SNAPSHOT.schema.json',
  'jsf-0.82.SNAPSHOT.schema.json',
] as const;

/** Optional: the official SPDX 2.3 schema, used when someone ships it (see the README). */
const SPDX_23_FILE = 'spdx-2.3.schema.json';

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv {
  if (ajv) return ajv;
  const a = new Ajv({
    // The CycloneDX schemas use keywords and formats ajv's strict mode rejects (e.g.
    // "meta:enum"); strict mode is about schema authoring, not about instance checks.
    strict: false,
    // Only the first failure: all errors of a hostile 16 MiB document could be millions.
    allErrors: false,
    logger: false,
    validateSchema: false,
  });
  formatsModule.default(a);
  // Formats the CycloneDX schemas name that ajv-formats does not implement. Declared as
  // unchecked on purpose: ajv's own default for an unknown format is the same, but implicit.
  for (const name of ['iri-reference', 'idn-email']) a.addFormat(name, true);
  for (const file of SHIPPED) a.addSchema(read(file), CYCLONEDX_BASE + file);
  ajv = a;
  return a;
}

function read(file: string): AnySchemaObject {
  return JSON.parse(fs.readFileSync(new URL(file, DIR), 'utf8')) as AnySchemaObject;
}

/** Whether the official SPDX 2.3 schema is shipped (./schemas/spdx-2.3.schema.json). */
export function hasSpdx23Schema(): boolean {
  return fs.existsSync(new URL(SPDX_23_FILE, DIR));
}

/**
 * The validator of a format's official schema, or undefined when that schema is not
 * shipped (SPDX 2.3, see the README): the caller then applies the checks it has.
 */
export function schemaValidator(format: SbomFormat): ValidateFunction | undefined {
  const key = `${format.spec}-${format.version}`;
  const done = compiled.get(key);
  if (done) return done;
  const a = instance();
  let v: ValidateFunction | undefined;
  if (format.spec === 'CycloneDX') {
    v = a.getSchema(`${CYCLONEDX_BASE}bom-${format.version}.SNAPSHOT.schema.json`);
  } else if (hasSpdx23Schema()) {
    v = a.compile(read(SPDX_23_FILE));
  }
  if (v) compiled.set(key, v);
  return v;
}

/** The first few schema errors as one line each: "/components/0: must have required property 'name'". */
export function describeErrors(
  errors: readonly ErrorObject[] | null | undefined,
  max = 5,
): string[] {
  return (errors ?? []).slice(0, max).map((e) => {
    const where = e.instancePath || '/';
    const extra =
      e.keyword === 'enum' && Array.isArray(e.params.allowedValues)
        ? ` (${(e.params.allowedValues as unknown[])
            .slice(0, 5)
            .map((x) => JSON.stringify(x))
            .join(', ')})`
        : e.keyword === 'additionalProperties'
          ? ` (${String(e.params.additionalProperty)})`
          : '';
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
}
