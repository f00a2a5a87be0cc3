export * from './merkle.ts';
export * from './note.ts';
export * from './checkpoint.ts';
export { TlogError } from './errors.ts';
export * from './cosignature.ts';
