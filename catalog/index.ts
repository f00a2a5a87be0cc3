export {
  resolveConfig,
  DEFAULT_LIMITS,
  DEFAULT_PUBLIC_URL,
  type InstanceConfig,
  type Limits,
} from './config.ts';
export { openInstance, DATABASE_FILE, type Instance } from './instance.ts';
export { addEndorser, listEndorsers, getEndorser, type Endorser } from './endorsers.ts';
export {
  addImageFromStream,
  registerStoredImage,
  discardUnreferencedBlob,
  registerImageByUrl,
  updateImageMetadata,
  withdrawImage,
  listImages,
  getImage,
  findImage,
  type Image,
} from './images.ts';
export {
  IMAGE_FIELDS,
  IMAGE_FIELD_KEYS,
  type ImageFieldKey,
  type ImageMetadata,
  type NullableMetadata,
  nullableMetadata,
} from './image-fields.ts';
export { publishCatalog, DEFAULT_EXPIRES_IN_SECONDS, type PublishedVersion } from './publish.ts';
export {
  listCatalogVersions,
  getCatalogVersion,
  type CatalogVersionSummary,
  type CatalogVersionFiles,
} from './catalog-versions.ts';
export {
  cosignerRole,
  createToken,
  verifyToken,
  parseRole,
  type Role,
  type Principal,
} from './tokens.ts';
export {
  verifyAuditChain,
  iterateAudit,
  toAuditRecord,
  type AuditRecord,
  type AuditVerdict,
} from './audit/audit-log.ts';
export { SHA256_HEX, hashFile } from './blobs/digest.ts';
export { feedBase, catalogIri } from './feed-iris.ts';
