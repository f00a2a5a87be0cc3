// Minimal types for the part of rdf-canonize@5 that vmic uses (the package ships none).
declare module 'rdf-canonize' {
  interface CanonizeOptions {
    algorithm: 'RDFC-1.0';
    maxWorkFactor?: number;
    signal?: AbortSignal;
    rejectURDNA2015?: boolean;
  }
  /** Takes RDF/JS-shaped quads (termType/value/datatype/language) and returns canonical N-Quads. */
  export function canonize(dataset: Iterable<object>, options: CanonizeOptions): Promise<string>;
  /** The N-Quads line of one quad, as `canonize` writes it (blank node labels aside). */
  export const NQuads: { serializeQuad(quad: object): string };
}
