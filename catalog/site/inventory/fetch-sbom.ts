import fs from 'node:fs';
import path from 'node:path';
import { VmicError } from '../../../errors/index.ts';
import { appendAudit } from '../../audit/audit-log.ts';
import { checkedHex } from '../../blobs/object-store.ts';
import type { Instance } from '../../instance.ts';
import { writeTransaction } from '../../store/write-transaction.ts';
import { downloadToPartial } from '../fetch/download.ts';
import { asVmicError } from '../fetch/types.ts';
import { checkDigest } from '../image-cache.ts';
import type { SitePolicy } from '../policy.ts';
import { parseInventory } from './parse-sbom.ts';
import { recordSbom, settledSboms } from './store.ts';

/**
 * The software inventory half of `vmic fetch`: for each wanted image whose catalog signed
 * an SBOM, the document is downloaded from the catalog's URL (once per signed SHA-256),
 * bounded by the signed size and a hard cap and by the same idle timeout, throughput
 * floor and deadline as image downloads, hashed while streaming, and kept only if its
 * SHA-256 and size equal the signed ones. Then its packages are indexed (parse-sbom.ts).
 *
 * - Threat: a mirror serving other bytes for the SBOM (an inventory without the
 *   vulnerable package): the row is `quarantined`, nothing is indexed, and the gate under
 *   deny-package refuses the image as unverified (gate-packages.ts), never as "no packages".
 * - Threat: an endless or huge SBOM: the download stops at the signed size, and a signed
 *   size past MAX_SBOM_BYTES is not fetched at all (`unreadable`: fails closed too).
 */
export const MAX_SBOM_BYTES = 16 * 1024 * 1024;

export type InventoryOutcome = 'verified' | 'cached' | 'quarantined' | 'unreadable' | 'failed';

export interface InventoryFetch {
  subscription: string;
  identifier: string;
  sbomSha256: string;
  outcome: InventoryOutcome;
  packages?: number;
  code?: string;
  message?: string;
}

interface WantedSbom {
  subscription: string;
  identifier: string;
  sha256: string;
  byteSize: number;
  mediaType: string;
  url: string;
}

/** Fetches the SBOMs of the given images (by subscription and identifier). */
export async function fetchInventories(
  inst: Instance,
  policy: SitePolicy,
  images: { subscription: string; identifier: string }[],
  actor: string,
): Promise<InventoryFetch[]> {
  const wanted = await wantedSboms(inst, images);
  const settled = await settledSboms(
    inst.store.db,
    wanted.map((w) => w.sha256),
  );
  const done = new Map<string, Omit<InventoryFetch, 'subscription' | 'identifier'>>();
  const out: InventoryFetch[] = [];
  for (const w of wanted) {
    let r = done.get(w.sha256);
    if (!r) {
      r = settled.has(w.sha256)
        ? { sbomSha256: w.sha256, outcome: 'cached' }
        : await fetchOne(inst, policy, w, actor).catch((e: unknown) => {
            const err = asVmicError(e, 'INTERNAL');
            return {
              sbomSha256: w.sha256,
              outcome: 'failed' as const,
              code: err.code,
              message: err.message,
            };
          });
      done.set(w.sha256, r);
    }
    out.push({ subscription: w.subscription, identifier: w.identifier, ...r });
  }
  return out;
}

async function wantedSboms(
  inst: Instance,
  images: { subscription: string; identifier: string }[],
): Promise<WantedSbom[]> {
  const keys = new Set(images.map((i) => `${i.subscription}\u0000${i.identifier}`));
  if (keys.size === 0) return [];
  const rows = await inst.store.db
    .selectFrom('site_images as i')
    .innerJoin('subscriptions as s', 's.id', 'i.subscription_id')
    .select([
      's.name as subscription',
      'i.identifier',
      'i.sbom_sha256',
      'i.sbom_byte_size',
      'i.sbom_media_type',
      'i.sbom_url',
    ])
    .where('i.sbom_sha256', 'is not', null)
    .where('i.status', '=', 'endorsed')
    .orderBy('s.name')
    .orderBy('i.identifier')
    .execute();
  return rows
    .filter((r) => keys.has(`${r.subscription}\u0000${r.identifier}`))
    .filter((r) => r.sbom_url !== null && r.sbom_byte_size !== null)
    .map((r) => ({
      subscription: r.subscription,
      identifier: r.identifier,
      sha256: r.sbom_sha256!,
      byteSize: r.sbom_byte_size!,
      mediaType: r.sbom_media_type ?? '',
      url: r.sbom_url!,
    }));
}

async function fetchOne(
  inst: Instance,
  policy: SitePolicy,
  w: WantedSbom,
  actor: string,
): Promise<Omit<InventoryFetch, 'subscription' | 'identifier'>> {
  const base = { sbomSha256: w.sha256 };
  const row = {
    sha256: checkedHex(w.sha256),
    media_type: w.mediaType,
    byte_size: w.byteSize,
    source_url: w.url,
    updated_at: inst.now().toISOString(),
  };
  if (w.byteSize > MAX_SBOM_BYTES) {
    const reason = `the signed size ${w.byteSize} is past the site's bound of ${MAX_SBOM_BYTES} bytes`;
    await record(
      inst,
      actor,
      w,
      { ...row, state: 'unreadable', reason, actual_sha256: null, document: null, format: null },
      [],
    );
    return { ...base, outcome: 'unreadable', code: 'TOO_LARGE', message: reason };
  }
  const partial = path.join(inst.config.dataDir, 'cache', 'partial', `sbom-${row.sha256}.part`);
  fs.mkdirSync(path.dirname(partial), { recursive: true, mode: 0o750 });
  fs.rmSync(partial, { force: true }); // small: always from the start, never resumed
  try {
    const { digest } = await downloadToPartial(
      partial,
      { url: w.url, byteSize: w.byteSize },
      {
        idleTimeoutMs: policy.feedTimeoutMs,
        minBytesPerSecond: policy.fetchMinBytesPerSecond,
        rateWindowMs: policy.fetchRateWindowSeconds * 1000,
        // At most 16 MiB: ten minutes, or the policy's deadline if that is shorter.
        deadlineMs: Math.min(policy.fetchDeadlineSeconds * 1000, 600_000),
      },
    );
    try {
      checkDigest(digest, { sha256: w.sha256, byteSize: w.byteSize });
    } catch (e) {
      const err = asVmicError(e);
      await record(
        inst,
        actor,
        w,
        {
          ...row,
          state: 'quarantined',
          reason: err.message,
          actual_sha256: digest.sha256,
          document: null,
          format: null,
        },
        [],
      );
      return { ...base, outcome: 'quarantined', code: err.code, message: err.message };
    }
    const bytes = fs.readFileSync(partial);
    const parsed = parseInventory(bytes, w.mediaType);
    if (!parsed.ok) {
      await record(
        inst,
        actor,
        w,
        {
          ...row,
          state: 'unreadable',
          reason: parsed.problem,
          actual_sha256: null,
          document: bytes,
          format: null,
        },
        [],
      );
      return { ...base, outcome: 'unreadable', code: 'BAD_REQUEST', message: parsed.problem };
    }
    await record(
      inst,
      actor,
      w,
      {
        ...row,
        state: 'verified',
        reason: null,
        actual_sha256: null,
        document: bytes,
        format: parsed.format,
      },
      parsed.packages,
    );
    return { ...base, outcome: 'verified', packages: parsed.packages.length };
  } catch (e) {
    const err = asVmicError(e);
    return { ...base, outcome: 'failed', code: err.code, message: err.message };
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

async function record(
  inst: Instance,
  actor: string,
  w: WantedSbom,
  row: Parameters<typeof recordSbom>[1],
  packages: Parameters<typeof recordSbom>[2],
): Promise<void> {
  if (packages.length > 0 && row.state !== 'verified')
    throw new VmicError('INTERNAL', 'packages of an unverified SBOM');
  await writeTransaction(inst.store, async (tx) => {
    await recordSbom(tx, row, packages);
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: row.state === 'quarantined' ? 'image.quarantined' : 'image.fetched',
      subject: `sbom:sha256:${w.sha256}`,
      details: {
        subscription: w.subscription,
        identifier: w.identifier,
        sbom: row.state,
        url: w.url,
        byteSize: w.byteSize,
        ...(row.reason !== null ? { reason: row.reason } : {}),
        ...(row.actual_sha256 !== null ? { actualSha256: row.actual_sha256 } : {}),
        ...(row.state === 'verified' ? { packages: packages.length } : {}),
      },
    });
  });
}
