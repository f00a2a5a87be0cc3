import { fetchImages, type FetchedImage } from '../../../catalog/site/fetch-images.ts';
import type {
  InventoryFetch,
  InventoryOutcome,
} from '../../../catalog/site/inventory/fetch-sbom.ts';
import { flag, parse, str } from '../options.ts';
import { EXIT, emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { progressBar } from '../progress.ts';

/** `vmic fetch [--subscription N] [--json]`: exit 1 if any image failed or was quarantined. */
export async function fetchCommand(argv: string[]): Promise<number> {
  const p = parse(argv, { subscription: { type: 'string' } }, false);
  const json = flag(p, 'json');
  const subscription = str(p, 'subscription');

  // One bar for all downloads together: with parallel downloads, per-image bars would
  // overwrite each other on the same line.
  let bar: ReturnType<typeof progressBar> | undefined;
  const done = new Map<string, number>();
  let sum = 0;
  const summary = await withInstance(p, (inst) =>
    fetchImages(inst, {
      actor: cliActor(),
      ...(subscription !== undefined ? { subscription } : {}),
      onPlan: ({ images, bytes }) => {
        if (images > 0) bar = progressBar(`fetching ${images} image(s)`, bytes);
      },
      onProgress: ({ sha256, bytes }) => {
        sum += bytes - (done.get(sha256) ?? 0);
        done.set(sha256, bytes);
        bar?.update(sum);
      },
    }).finally(() => bar?.done()),
  );

  const bad = summary.images.filter((i) => i.outcome === 'failed' || i.outcome === 'quarantined');
  emit(json, summary, () => [
    ...summary.images.map(line),
    `${summary.images.length} image(s): ` +
      (['fetched', 'resumed', 'cached', 'quarantined', 'failed'] as const)
        .map((k) => `${summary.totals[k]} ${k}`)
        .join(', '),
    ...describeInventories(summary.inventories),
  ]);
  if (json)
    for (const i of bad) process.stderr.write(`vmic: ${i.code}: ${describe(i)}: ${i.message}\n`);
  return bad.length === 0 ? EXIT.ok : EXIT.refused;
}

/**
 * The software inventories fetched with the images: one line for each that did not verify
 * (under deny-package the gate refuses its image), then the totals. Nothing without any.
 */
export function describeInventories(list: readonly InventoryFetch[]): string[] {
  if (list.length === 0) return [];
  const outcomes = ['verified', 'cached', 'quarantined', 'unreadable', 'failed'] as const;
  const count = (o: InventoryOutcome) => list.filter((i) => i.outcome === o).length;
  return [
    ...list
      .filter((i) => i.outcome !== 'verified' && i.outcome !== 'cached')
      .map(
        (i) =>
          `${i.outcome.padEnd(11)} SBOM of ${i.subscription}/${i.identifier} sha256:${i.sbomSha256}\n            ${i.code ?? ''}: ${i.message ?? ''}`,
      ),
    `${list.length} software inventor${list.length === 1 ? 'y' : 'ies'}: ` +
      outcomes.map((o) => `${count(o)} ${o}`).join(', '),
  ];
}

function line(i: FetchedImage): string {
  const head = `${i.outcome.padEnd(11)} ${describe(i)}`;
  return i.code ? `${head}\n            ${i.code}: ${i.message}` : head;
}

function describe(i: FetchedImage): string {
  return `${i.subscription}/${i.identifier} sha256:${i.sha256} (${mib(i.byteSize)})`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
