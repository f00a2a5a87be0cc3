import { readFileSync } from 'node:fs';

/**
 * The JSON-LD context shipped in the repository (contexts/vmic-context.json). It is
 * embedded inline in every JSON-LD catalog, so no consumer ever has to fetch a context.
 */
export const VMIC_CONTEXT: Readonly<Record<string, string | { '@id': string; '@type'?: string }>> =
  (
    JSON.parse(readFileSync(new URL('./contexts/vmic-context.json', import.meta.url), 'utf8')) as {
      '@context': Record<string, string | { '@id': string; '@type'?: string }>;
    }
  )['@context'];

/** How a predicate is written: its term, and the coercion (`@id` or a datatype IRI) if any. */
export interface TermDefinition {
  term: string;
  coerce: string | undefined;
}

const PREFIXES = new Map<string, string>();
for (const [key, value] of Object.entries(VMIC_CONTEXT)) {
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//.test(value)) PREFIXES.set(key, value);
}

function expand(compact: string): string {
  if (compact.startsWith('@')) return compact;
  const colon = compact.indexOf(':');
  const ns = colon < 0 ? undefined : PREFIXES.get(compact.slice(0, colon));
  if (ns === undefined) throw new Error(`vmic-context.json: unknown prefix in ${compact}`);
  return ns + compact.slice(colon + 1);
}

/** Predicate IRI → term definition; also used for class IRIs in `@type`. */
export const TERMS = new Map<string, TermDefinition>();
for (const [term, value] of Object.entries(VMIC_CONTEXT)) {
  if (PREFIXES.has(term)) continue;
  const def = typeof value === 'string' ? { '@id': value } : value;
  const coerce = def['@type'] === undefined ? undefined : expand(def['@type']);
  TERMS.set(expand(def['@id']), { term, coerce });
}

/** Names that JSON-LD would expand as `name:suffix`; an IRI with one as its scheme is ambiguous. */
export const CONTEXT_KEYS: ReadonlySet<string> = new Set(Object.keys(VMIC_CONTEXT));
