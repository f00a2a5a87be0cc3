// The buffered GET is part of the one HTTP client; this path is kept for its importers.
export { boundedGet, type BoundedGetOptions, type BoundedResponse } from './http-client.ts';
