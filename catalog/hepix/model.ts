import {
  HEPIX_IMAGE_FIELDS,
  hepixOf,
  type HepixImageField,
  type HepixRequiredField,
} from '../image-fields.ts';

/**
 * The HEPiX image list (hepixvmitrust, as written by vmcaster and EGI AppDB and read by
 * vmcatcher, cloudkeeper and atrope): `{"hv:imagelist": {...}}`, JSON signed as S/MIME.
 * This is the neutral shape the strict reader produces and the writer consumes.
 */
export interface ImageList {
  identifier: string;
  title: string;
  description: string;
  source: string;
  /** `hv:version`: a dotted decimal string (vmic writes its catalog sequence). */
  version: string;
  uri: string;
  created: Date;
  expires: Date;
  endorser: {
    /** OpenSSL slash form, as in the list (`/C=CH/O=Example/CN=...`). */
    dn: string;
    ca: string;
    email: string;
    creator: string;
  };
  images: ListedImage[];
  /**
   * `dcterms:conformsTo` on `hv:imagelist` (a vmic key, not HEPiX vocabulary): policy IRIs
   * every image of the list conforms to. Undefined when absent.
   */
  conformsTo?: string[] | undefined;
  /** Keys of `hv:imagelist` that vmic does not map, kept verbatim. */
  extra: Record<string, unknown>;
}

/**
 * One `hv:image`. Its descriptive fields (title, `sl:os` as osName, `hv:format`, ...) come
 * from catalog/image-fields.ts: the keys the format requires are strings, `""` when empty;
 * the optional ones (`hv:format`, AppDB's) may be absent.
 */
export type ListedImage = {
  identifier: string;
  size: number;
  /** Lowercase hex. */
  sha512: string;
  /** Not part of the HEPiX vocabulary; vmic writes it, and checks it where present. */
  sha256: string | undefined;
  uri: string;
  comments: string;
  /** Per-image `dc:date:expires` (AppDB). */
  expires: Date | undefined;
  /** `dcterms:conformsTo` on `hv:image` (a vmic key): policy IRIs the image conforms to. */
  conformsTo?: string[] | undefined;
  /** Keys that vmic does not map (AppDB's `ad:*` and the like), kept verbatim. */
  extra: Record<string, unknown>;
} & { [K in HepixRequiredField]: string } & {
  [K in Exclude<HepixImageField, HepixRequiredField>]: string | undefined;
};

/** Required keys of `hv:imagelist`, in the order the reader checks them. */
export const LIST_KEYS = [
  'dc:date:created',
  'dc:date:expires',
  'dc:identifier',
  'dc:description',
  'dc:title',
  'dc:source',
  'hv:version',
  'hv:uri',
  'hv:endorser',
  'hv:images',
] as const;

/** The policy-claim key vmic adds to `hv:image` and `hv:imagelist` (docs/design.md §3). */
export const CONFORMS_TO = 'dcterms:conformsTo';

export const ENDORSER_KEYS = ['hv:dn', 'hv:ca', 'hv:email', 'dc:creator'] as const;

const fieldKeys = (required: boolean): string[] =>
  HEPIX_IMAGE_FIELDS.map(hepixOf).flatMap((h) => (h.required === required ? [h.key] : []));

/** Required keys of `hv:image`, in the order the reader checks them. */
export const IMAGE_KEYS: readonly string[] = [
  'dc:identifier',
  'hv:size',
  'sl:checksum:sha512',
  'hv:uri',
  'sl:comments',
  ...fieldKeys(true),
];

/** Optional image keys that vmic maps to columns (everything else goes to `extra`). */
export const IMAGE_OPTIONAL_KEYS: readonly string[] = [
  'sl:checksum:sha256',
  CONFORMS_TO,
  'dc:date:expires',
  ...fieldKeys(false),
];
