import fs from 'node:fs';
import {
  IMAGE_FIELDS,
  IMAGE_FIELD_KEYS,
  addImageFromStream,
  listImages,
  registerImageByUrl,
  withdrawImage,
  type Image,
  type Instance,
} from '../../../catalog/index.ts';
import { flag, parse, required, str, type Parsed } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { progressBar } from '../progress.ts';
import { UsageError } from '../usage-error.ts';

/** One `--flag VALUE` option per descriptive field of catalog/image-fields.ts. */
const META_OPTIONS = Object.fromEntries(
  IMAGE_FIELD_KEYS.map((k) => [IMAGE_FIELDS[k].flag, { type: 'string' as const }]),
);

const ADD_USAGE = `usage: vmic image add --endorser NAME (--file PATH | --url URL --sha256 HEX --size N) --title T [--identifier ID] [--conforms-to IRI]... [--sbom FILE] ${IMAGE_FIELD_KEYS.filter(
  (k) => k !== 'title',
)
  .map((k) => `[--${IMAGE_FIELDS[k].flag} ...]`)
  .join(' ')}`;

function metadataOptions(p: Parsed): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of IMAGE_FIELD_KEYS) out[k] = str(p, IMAGE_FIELDS[k].flag);
  out.title = required(p, 'title');
  return out;
}

export async function imageCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') return add(rest);
  if (sub === 'adopt') return (await import('./image-adopt.ts')).imageAdoptCommand(rest);
  if (sub === 'conforms-to') return (await import('./policy-claims.ts')).imageClaimsCommand(rest);
  if (sub === 'sbom') return (await import('./image-sbom.ts')).imageSbomCommand(rest);
  if (sub === 'list') {
    const p = parse(rest, { endorser: { type: 'string' } }, false);
    const images = await withInstance(p, (inst) =>
      listImages(inst, { endorser: str(p, 'endorser') }),
    );
    emit(flag(p, 'json'), images, () =>
      images.length
        ? images.map(
            (i) =>
              `${i.endorser}\t${i.identifier}\t${i.status}\tsha256:${i.sha256}\t${i.byteSize}\t${i.title}`,
          )
        : ['no images'],
    );
    return 0;
  }
  if (sub === 'withdraw') {
    const p = parse(rest, { endorser: { type: 'string' } });
    const id = p.positionals[0];
    if (!id || p.positionals.length > 1)
      throw new UsageError('usage: vmic image withdraw ID [--endorser NAME]');
    const img = await withInstance(p, (inst) =>
      withdrawImage(inst, { identifier: id, endorser: str(p, 'endorser'), actor: cliActor() }),
    );
    emit(
      flag(p, 'json'),
      img,
      () =>
        `image ${img.endorser}/${img.identifier} withdrawn (takes effect in the next published catalog)`,
    );
    return 0;
  }
  throw new UsageError('usage: vmic image add|list|withdraw|conforms-to|sbom ...');
}

async function add(argv: string[]): Promise<number> {
  const p = parse(
    argv,
    {
      ...META_OPTIONS,
      endorser: { type: 'string' },
      file: { type: 'string' },
      url: { type: 'string' },
      sha256: { type: 'string' },
      size: { type: 'string' },
      identifier: { type: 'string' },
      'conforms-to': { type: 'string', multiple: true },
      sbom: { type: 'string' },
    },
    false,
  );
  const conformsTo = (p.values['conforms-to'] as string[] | undefined) ?? [];
  const endorser = required(p, 'endorser');
  const metadata = metadataOptions(p);
  const file = str(p, 'file');
  const url = str(p, 'url');
  if ((file === undefined) === (url === undefined)) throw new UsageError(ADD_USAGE);
  const identifier = str(p, 'identifier');
  const sbomFile = str(p, 'sbom');
  const sbom = sbomFile === undefined ? undefined : await import('./image-sbom.ts');
  const img: Image = await withInstance(p, async (inst) => {
    // Checked before the image is stored: a refused SBOM leaves nothing registered.
    if (sbom && sbomFile !== undefined) await sbom.checkSbomFile(inst, sbomFile);
    const added = await register(inst);
    return sbom && sbomFile !== undefined ? sbom.attachSbomFile(inst, added, sbomFile) : added;
  });
  emit(flag(p, 'json'), img, () => [
    `image ${img.endorser}/${img.identifier} registered`,
    `  sha256:${img.sha256}  ${img.byteSize} bytes`,
    `  download: ${img.downloadUrl}`,
    ...(img.conformsTo ?? []).map((c) => `  conforms to: ${c}`),
    ...(img.sbom ? [`  sbom: ${img.sbom.mediaType} sha256:${img.sbom.sha256}`] : []),
  ]);
  return 0;

  async function register(inst: Instance): Promise<Image> {
    if (file !== undefined) {
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const bar = progressBar(`hashing ${file}`, size);
      try {
        return await addImageFromStream(inst, {
          endorser,
          identifier,
          metadata,
          conformsTo,
          actor: cliActor(),
          source: fs.createReadStream(file, { highWaterMark: 1024 * 1024 }),
          onProgress: bar.update,
        });
      } finally {
        bar.done();
      }
    }
    const sizeText = required(p, 'size');
    if (!/^\d+$/.test(sizeText)) throw new UsageError('--size must be a number of bytes');
    return registerImageByUrl(inst, {
      endorser,
      identifier,
      metadata,
      conformsTo,
      actor: cliActor(),
      url: url!,
      sha256: required(p, 'sha256'),
      size: Number(sizeText),
    });
  }
}
