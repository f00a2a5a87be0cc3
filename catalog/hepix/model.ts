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
  /** Keys of `hv:imagelist` that vmic does not map, kept verbatim. */
  extra: Record<string, unknown>;
}

export interface ListedImage {
  identifier: string;
  title: string;
  description: string;
  size: number;
  /** Lowercase hex. */
  sha512: string;
  /** Not part of the HEPiX vocabulary; vmic writes it, and checks it where present. */
  sha256: string | undefined;
  arch: string;
  uri: string;
  os: string;
  osVersion: string;
  comments: string;
  hypervisor: string;
  version: string;
  /** `hv:format` (AppDB), e.g. `qcow2`, `ova`. */
  format: string | undefined;
  /** Per-image `dc:date:expires` (AppDB). */
  expires: Date | undefined;
  /** Keys that vmic does not map (AppDB's `ad:*` and the like), kept verbatim. */
  extra: Record<string, unknown>;
}

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

export const ENDORSER_KEYS = ['hv:dn', 'hv:ca', 'hv:email', 'dc:creator'] as const;

/** Required keys of `hv:image`. */
export const IMAGE_KEYS = [
  'dc:identifier',
  'dc:title',
  'dc:description',
  'hv:size',
  'sl:checksum:sha512',
  'sl:arch',
  'hv:uri',
  'sl:os',
  'sl:osversion',
  'sl:comments',
  'hv:hypervisor',
  'hv:version',
] as const;

/** Optional image keys that vmic maps to columns (everything else goes to `extra`). */
export const IMAGE_OPTIONAL_KEYS = ['sl:checksum:sha256', 'hv:format', 'dc:date:expires'] as const;
