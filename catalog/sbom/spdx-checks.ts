/**
 * SPDX 2.3 checks for when the official schema is not shipped (schemas/README.md says why).
 * This is not a schema: it checks what the SPDX 2.3 specification makes mandatory at the
 * document level (clause 6: version, data licence, document SPDXID, name, namespace,
 * creators, creation time), the element identifier syntax of clause 3.2
 * (`SPDXRef-` followed by letters, digits, `.` and `-`) on every package, file and snippet,
 * the mandatory package fields (clause 7: name, SPDXID, downloadLocation) and the shape of
 * relationships (clause 11). A document that passes can still be one the schema refuses.
 * The identifier syntax is checked here although the official JSON schema types SPDXID only
 * as a string: an identifier with spaces, `/` or `#` cannot be referenced from another
 * document (`DocumentRef-X:SPDXRef-Y`) or an RDF IRI. `_` is tolerated beyond clause 3.2,
 * because npm's own `npm sbom` emits it (`SPDXRef-Package-string_decoder-1.3.0`).
 *
 * Returns the first `max` problems as "pointer: message", like the schema errors.
 */
export function spdx23Problems(doc: Record<string, unknown>, max = 5): string[] {
  const out: string[] = [];
  const add = (where: string, what: string) => {
    if (out.length < max) out.push(`${where}: ${what}`);
  };
  if (doc.dataLicense !== 'CC0-1.0') add('/dataLicense', 'must be "CC0-1.0"');
  if (doc.SPDXID !== 'SPDXRef-DOCUMENT') add('/SPDXID', 'must be "SPDXRef-DOCUMENT"');
  if (!nonEmpty(doc.name)) add('/name', 'must be a non-empty string');
  if (!isNamespace(doc.documentNamespace))
    add('/documentNamespace', 'must be an absolute URI without a "#" part');
  const info = doc.creationInfo;
  if (!isObject(info)) add('/creationInfo', 'must be an object');
  else {
    if (!Array.isArray(info.creators) || info.creators.length === 0)
      add('/creationInfo/creators', 'must be a non-empty array');
    else
      info.creators.forEach((c, i) => {
        if (typeof c !== 'string' || !CREATOR.test(c))
          add(
            `/creationInfo/creators/${i}`,
            'must start with "Person: ", "Organization: " or "Tool: "',
          );
      });
    if (typeof info.created !== 'string' || !CREATED.test(info.created))
      add('/creationInfo/created', 'must be a date-time YYYY-MM-DDThh:mm:ssZ');
  }
  elements(doc, 'packages', add, (p, where) => {
    if (!nonEmpty(p.name)) add(`${where}/name`, 'must be a non-empty string');
    if (!nonEmpty(p.downloadLocation))
      add(`${where}/downloadLocation`, 'must be a non-empty string');
  });
  elements(doc, 'files', add, (f, where) => {
    if (!nonEmpty(f.fileName)) add(`${where}/fileName`, 'must be a non-empty string');
  });
  elements(doc, 'snippets', add, () => undefined);
  relationships(doc, add);
  return out;
}

/** Clause 3.2: `SPDXRef-[idstring]`, idstring of letters, digits, `.` and `-` (and `_`). */
export const SPDX_ID = /^SPDXRef-[A-Za-z0-9._-]+$/;

/** An element reference may also name another document: `DocumentRef-X:SPDXRef-Y`. */
const ELEMENT_REF = /^(DocumentRef-[A-Za-z0-9._-]+:)?SPDXRef-[A-Za-z0-9._-]+$|^(NONE|NOASSERTION)$/;
const CREATOR = /^(Person|Organization|Tool): \S/;
const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function elements(
  doc: Record<string, unknown>,
  key: string,
  add: (where: string, what: string) => void,
  more: (e: Record<string, unknown>, where: string) => void,
): void {
  const list = doc[key];
  if (list === undefined) return;
  if (!Array.isArray(list)) return add(`/${key}`, 'must be an array');
  list.forEach((e, i) => {
    const where = `/${key}/${i}`;
    if (!isObject(e)) return add(where, 'must be an object');
    if (typeof e.SPDXID !== 'string' || !SPDX_ID.test(e.SPDXID))
      add(`${where}/SPDXID`, 'must be SPDXRef- followed by letters, digits, ".", "-" or "_"');
    more(e, where);
  });
}

function relationships(doc: Record<string, unknown>, add: (where: string, what: string) => void) {
  const list = doc.relationships;
  if (list === undefined) return;
  if (!Array.isArray(list)) return add('/relationships', 'must be an array');
  list.forEach((r, i) => {
    const where = `/relationships/${i}`;
    if (!isObject(r)) return add(where, 'must be an object');
    for (const k of ['spdxElementId', 'relatedSpdxElement'])
      if (typeof r[k] !== 'string' || !ELEMENT_REF.test(r[k]))
        add(`${where}/${k}`, 'must be an SPDX element reference');
    if (!nonEmpty(r.relationshipType))
      add(`${where}/relationshipType`, 'must be a non-empty string');
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmpty(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0;
}

function isNamespace(v: unknown): boolean {
  if (typeof v !== 'string' || v.includes('#')) return false;
  try {
    return new URL(v).protocol.length > 1;
  } catch {
    return false;
  }
}
