/** HEPiX image lists (docs/design.md §3, §6): model, strict reader, writer, S/MIME, DN slash form. */
export type { ImageList, ListedImage } from './model.ts';
export { LIST_KEYS, ENDORSER_KEYS, IMAGE_KEYS } from './model.ts';
export { readImageList } from './read.ts';
export { writeImageList } from './write.ts';
export { formatHepixDate, parseHepixDate } from './dates.ts';
export { toSlashDn } from './dn.ts';
export { checkListVersion, compareListVersions } from './version.ts';
export type { SignedMime } from './smime.ts';
export { buildSignedMime, canonicalText, parseSignedMime, signedBody } from './smime.ts';
export { signImageList } from './sign.ts';
export { imageListOfCatalog, type CatalogForList } from './from-catalog.ts';
