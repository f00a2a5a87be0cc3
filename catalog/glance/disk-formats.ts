/**
 * The catalog's disk format (`dcterms:format` of the distribution, HEPiX `hv:format`) as
 * Glance's `disk_format` and `container_format`. Case does not matter; an OVA is a VMDK
 * disk in an OVA container, as Glance and the HEPiX tools (cloudkeeper-os, atrope) treat it.
 * A format not in the table, or none at all, is not guessed: the image is reported and
 * left out of Glance (threat: a hypervisor reading bytes as the wrong format).
 */
const FORMATS: Readonly<Record<string, { disk: string; container: string }>> = {
  qcow2: { disk: 'qcow2', container: 'bare' },
  raw: { disk: 'raw', container: 'bare' },
  img: { disk: 'raw', container: 'bare' },
  vmdk: { disk: 'vmdk', container: 'bare' },
  vdi: { disk: 'vdi', container: 'bare' },
  vhd: { disk: 'vhd', container: 'bare' },
  vhdx: { disk: 'vhdx', container: 'bare' },
  iso: { disk: 'iso', container: 'bare' },
  ploop: { disk: 'ploop', container: 'bare' },
  ova: { disk: 'vmdk', container: 'ova' },
};

export function glanceFormats(
  format: string | null | undefined,
): { disk: string; container: string } | undefined {
  if (!format) return undefined;
  const key = format.trim().toLowerCase();
  return Object.hasOwn(FORMATS, key) ? FORMATS[key] : undefined;
}

export const KNOWN_FORMATS = Object.keys(FORMATS);
