/*
 * The schemas of the JSON API (docs/design.md §4), one per input and output, gathered
 * from their files so that routes read them as `S.Name`.
 */
export * from './schemas-base.ts';
export * from './schemas-site.ts';
export * from './schemas-gate.ts';
export * from './schemas-migration.ts';
