// Minimal types for the part of jsonld@9 that vmic uses (no @types/jsonld is installed).
declare module 'jsonld' {
  export interface RemoteDocument {
    contextUrl: string | null;
    documentUrl: string;
    document: unknown;
  }
  export type DocumentLoader = (url: string) => Promise<RemoteDocument>;
  interface Options {
    documentLoader?: DocumentLoader;
    base?: string | null;
    safe?: boolean;
  }
  interface JsonLd {
    fromRDF(
      dataset: Iterable<object>,
      options?: Options & { useNativeTypes?: boolean; rdfDirection?: string },
    ): Promise<object[]>;
    compact(
      input: unknown,
      context: unknown,
      options?: Options & { compactArrays?: boolean },
    ): Promise<Record<string, unknown>>;
    toRDF(
      input: unknown,
      options?: Options & { produceGeneralizedRdf?: boolean },
    ): Promise<RdfJsQuad[]>;
  }
  /** jsonld's own quad shape: RDF/JS-like plain objects, no `equals`. */
  export interface RdfJsQuad {
    subject: { termType: string; value: string };
    predicate: { termType: string; value: string };
    object: {
      termType: string;
      value: string;
      datatype?: { termType: string; value: string };
      language?: string;
    };
    graph: { termType: string; value: string };
  }
  const jsonld: JsonLd;
  export default jsonld;
}
