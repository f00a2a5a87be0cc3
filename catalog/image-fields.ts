import type { NamedNode } from 'n3';
import { DCAT, DCTERMS, VMIC } from './rdf/vocabulary.ts';

/**
 * The descriptive fields of an image, declared once (docs/design.md §2). Everything that
 * names them derives from this table: the database columns, the signed graph, the HEPiX
 * list, the API schemas, the CLI flags, the web forms and the publish preview. A field
 * added here reaches every one of them; a field spelled out elsewhere would drift.
 */
interface ImageFieldSpec {
  /** Column in `images` and `site_images`. */
  readonly column: string;
  /** Where the catalog graph states it: on the image, or on its distribution (the disk). */
  readonly rdf: { readonly on: 'image' | 'distribution'; readonly predicate: NamedNode };
  /** Its key in a HEPiX image list, and whether that format requires the key. */
  readonly hepix: { readonly key: string; readonly required: boolean } | undefined;
  /** `vmic image add --FLAG`. */
  readonly flag: string;
  /** Label on the web admin's forms. */
  readonly label: string;
  /**
   * `one`: a single line, no control characters at all; `many`: newlines and tabs
   * allowed. Either way the length is bounded by the instance's `limits.metadataChars`.
   */
  readonly lines: 'one' | 'many';
  /**
   * Common values the web form offers (a `<datalist>`): suggestions only, any other value
   * is still accepted, since catalogs name architectures and formats we do not know.
   */
  readonly suggestions?: readonly string[];
}

const onImage = (predicate: NamedNode) => ({ on: 'image', predicate }) as const;
const hepix = (key: string) => ({ key, required: true }) as const;
const hepixOptional = (key: string) => ({ key, required: false }) as const;

/** In the order the graph writes them (the web form shows `many`-line fields last). */
export const IMAGE_FIELDS = {
  title: {
    column: 'title',
    rdf: onImage(DCTERMS.title),
    hepix: hepix('dc:title'),
    flag: 'title',
    label: 'Title',
    lines: 'one',
  },
  description: {
    column: 'description',
    rdf: onImage(DCTERMS.description),
    hepix: hepix('dc:description'),
    flag: 'description',
    label: 'Description',
    lines: 'many',
  },
  version: {
    column: 'version',
    rdf: onImage(DCAT.version),
    hepix: hepix('hv:version'),
    flag: 'version',
    label: 'Image version',
    lines: 'one',
  },
  osFamily: {
    column: 'os_family',
    rdf: onImage(VMIC.osFamily),
    // HEPiX has one OS key (`sl:os`); a list written from a catalog falls back to the
    // family there when no OS name is given.
    hepix: undefined,
    flag: 'os-family',
    label: 'OS family',
    lines: 'one',
  },
  osName: {
    column: 'os_name',
    rdf: onImage(VMIC.osName),
    hepix: hepix('sl:os'),
    flag: 'os-name',
    label: 'OS name',
    lines: 'one',
  },
  osVersion: {
    column: 'os_version',
    rdf: onImage(VMIC.osVersion),
    hepix: hepix('sl:osversion'),
    flag: 'os-version',
    label: 'OS version',
    lines: 'one',
  },
  arch: {
    column: 'arch',
    rdf: onImage(VMIC.arch),
    hepix: hepix('sl:arch'),
    flag: 'arch',
    label: 'Architecture',
    lines: 'one',
    suggestions: ['x86_64', 'aarch64'],
  },
  hypervisor: {
    column: 'hypervisor',
    rdf: onImage(VMIC.hypervisor),
    hepix: hepix('hv:hypervisor'),
    flag: 'hypervisor',
    label: 'Hypervisor',
    lines: 'one',
    suggestions: ['kvm', 'xen', 'vmware', 'hyperv'],
  },
  format: {
    column: 'format',
    rdf: { on: 'distribution', predicate: DCTERMS.format },
    hepix: hepixOptional('hv:format'),
    flag: 'format',
    label: 'Disk format',
    lines: 'one',
    suggestions: ['qcow2', 'raw', 'vmdk', 'vhd', 'vhdx', 'ova', 'iso'],
  },
} as const satisfies Record<string, ImageFieldSpec>;

type Fields = typeof IMAGE_FIELDS;
export type ImageFieldKey = keyof Fields;
/** Every field but the title may be absent. */
export type OptionalImageField = Exclude<ImageFieldKey, 'title'>;

export const IMAGE_FIELD_KEYS = Object.keys(IMAGE_FIELDS) as readonly ImageFieldKey[];

/** Descriptive fields of an image, as signed into the catalog. */
export type ImageMetadata = { title: string } & {
  [K in OptionalImageField]?: string | undefined;
};

/** The same fields as database columns; an absent field is NULL. */
export type MetadataColumns = { title: string } & {
  [K in OptionalImageField as Fields[K]['column']]: string | null;
};

/** The same fields as API output: every key present, `null` where absent. */
export type NullableMetadata = { title: string } & { [K in OptionalImageField]: string | null };

/** The optional fields the graph states on the image node itself. */
export type GraphImageField = {
  [K in OptionalImageField]: Fields[K]['rdf']['on'] extends 'image' ? K : never;
}[OptionalImageField];

export const GRAPH_IMAGE_FIELDS = IMAGE_FIELD_KEYS.filter(
  (k): k is GraphImageField => k !== 'title' && IMAGE_FIELDS[k].rdf.on === 'image',
);

/** Fields with a HEPiX key: `sl:os`, `hv:version`, ... */
export type HepixImageField = {
  [K in ImageFieldKey]: Fields[K]['hepix'] extends undefined ? never : K;
}[ImageFieldKey];

export const HEPIX_IMAGE_FIELDS = IMAGE_FIELD_KEYS.filter(
  (k): k is HepixImageField => IMAGE_FIELDS[k].hepix !== undefined,
);

/** Of those, the ones whose key a HEPiX list must carry (as `""` when empty). */
export type HepixRequiredField = {
  [K in HepixImageField]: Fields[K]['hepix'] extends { required: true } ? K : never;
}[HepixImageField];

/** The HEPiX key of a field, and whether the format requires it. */
export function hepixOf(field: HepixImageField): { key: string; required: boolean } {
  return IMAGE_FIELDS[field].hepix;
}

/** The optional fields as a partial record, for building a row from metadata. */
export function metadataColumns(m: ImageMetadata): MetadataColumns {
  const out: Record<string, string | null> = { title: m.title };
  for (const k of IMAGE_FIELD_KEYS) if (k !== 'title') out[IMAGE_FIELDS[k].column] = m[k] ?? null;
  return out as MetadataColumns;
}

/** A row's columns back as fields, with `null` for an absent one. */
export function nullableMetadata(row: MetadataColumns): NullableMetadata {
  const cols = row as unknown as Record<string, string | null>;
  const out: Record<string, string | null> = {};
  for (const k of IMAGE_FIELD_KEYS) out[k] = cols[IMAGE_FIELDS[k].column] ?? null;
  return out as NullableMetadata;
}

/** A row's columns back as fields, leaving an absent one out. */
export function metadataOfColumns(row: MetadataColumns): ImageMetadata {
  const all = nullableMetadata(row);
  const out: Record<string, string> = { title: all.title };
  for (const k of IMAGE_FIELD_KEYS) {
    const v = all[k];
    if (v !== null) out[k] = v;
  }
  return out as ImageMetadata;
}
