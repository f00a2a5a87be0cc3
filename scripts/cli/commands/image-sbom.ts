import type { Image, Instance } from '../../../catalog/index.ts';
import {
  attachSbom,
  detachSbom,
  readSbomFile,
  resolveImage,
} from '../../../catalog/sbom/attach-sbom.ts';
import { checkSbom } from '../../../catalog/sbom/check-sbom.ts';
import { mediaTypeLabel } from '../../../catalog/sbom/sbom-format.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

/*
 * `vmic image sbom ID FILE` attaches a software inventory (SPDX 2.3 or CycloneDX 1.5/1.6
 * JSON) to an image; `--detach` removes it; both take effect with the next publish
 * (catalog/sbom/attach-sbom.ts). `vmic image add --sbom FILE` attaches one at registration.
 */

const USAGE = 'usage: vmic image sbom ID (FILE | --detach) [--endorser NAME]';

export async function imageSbomCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {
    endorser: { type: 'string' },
    detach: { type: 'boolean', default: false },
  });
  const [ref, file, ...extra] = p.positionals;
  const detach = flag(p, 'detach');
  if (!ref || extra.length > 0 || detach === (file !== undefined)) throw new UsageError(USAGE);
  const img = await withInstance(p, async (inst) => {
    const found = await resolveImage(inst, ref, str(p, 'endorser'));
    const target = { endorser: found.endorser, identifier: found.identifier, actor: cliActor() };
    if (detach) return detachSbom(inst, target);
    return attachSbom(inst, { ...target, bytes: await readSbomFile(inst, file!) });
  });
  emit(flag(p, 'json'), img, () => describeSbom(img));
  return 0;
}

/** For `image add --sbom`: the checks of an attach, before the image is registered. */
export async function checkSbomFile(inst: Instance, file: string): Promise<void> {
  checkSbom(await readSbomFile(inst, file), inst.config.limits.sbomBytes);
}

/** For `image add --sbom`: attaches after the image is registered. */
export async function attachSbomFile(inst: Instance, img: Image, file: string): Promise<Image> {
  return attachSbom(inst, {
    endorser: img.endorser,
    identifier: img.identifier,
    actor: cliActor(),
    bytes: await readSbomFile(inst, file),
  });
}

export function describeSbom(img: Image): string[] {
  const what = `image ${img.endorser}/${img.identifier}`;
  if (!img.sbom) return [`${what}: no SBOM (takes effect with the next publish)`];
  return [
    `${what}: SBOM ${mediaTypeLabel(img.sbom.mediaType)} attached (signed with the next publish)`,
    `  sha256:${img.sbom.sha256}  ${img.sbom.byteSize} bytes`,
  ];
}
