import { VmicError, isVmicError } from '../../../errors/index.ts';
import type { InventoryFetch } from '../inventory/fetch-sbom.ts';

export type FetchOutcome = 'fetched' | 'cached' | 'resumed' | 'failed' | 'quarantined';

export interface FetchedImage {
  subscription: string;
  identifier: string;
  /** '' for a SHA-512-only image whose SHA-256 this run did not learn. */
  sha256: string;
  byteSize: number;
  outcome: FetchOutcome;
  code?: string;
  message?: string;
}

export interface FetchSummary {
  images: FetchedImage[];
  totals: Record<FetchOutcome, number>;
  /** The software inventories (SBOMs) of these images: catalog/site/inventory/fetch-sbom.ts. */
  inventories: InventoryFetch[];
}

export interface FetchProgress {
  identifier: string;
  sha256: string;
  /** Bytes of this image on disk so far (a resumed download starts at the kept length). */
  bytes: number;
  total: number;
}

export interface FetchOptions {
  /** Only this subscription's images (by name). */
  subscription?: string;
  actor: string;
  onProgress?: (e: FetchProgress) => void;
  /** Called once before any download: how many images, and bytes, are to be fetched. */
  onPlan?: (plan: { images: number; bytes: number }) => void;
}

/** One endorsed site image the run wants in the cache. */
export interface Wanted {
  subscription: string;
  identifier: string;
  /** null for a HEPiX image signed by SHA-512 only, until a fetch has learned it. */
  sha256: string | null;
  sha512: string | null;
  byteSize: number;
  url: string;
}

export function identity(w: Wanted) {
  return {
    subscription: w.subscription,
    identifier: w.identifier,
    sha256: w.sha256 ?? '',
    byteSize: w.byteSize,
  };
}

export function result(w: Wanted, outcome: FetchOutcome, error?: VmicError): FetchedImage {
  return {
    ...identity(w),
    outcome,
    ...(error ? { code: error.code, message: error.message } : {}),
  };
}

export function conflictingSize(w: Wanted, other: number): VmicError {
  return new VmicError(
    'HASH_MISMATCH',
    `signed size ${w.byteSize} differs from ${other}, signed elsewhere for the same SHA-256`,
  );
}

export function asVmicError(
  e: unknown,
  code: 'FETCH_FAILED' | 'INTERNAL' = 'FETCH_FAILED',
): VmicError {
  if (isVmicError(e)) return e;
  return new VmicError(code, e instanceof Error ? e.message : String(e), { cause: e });
}
