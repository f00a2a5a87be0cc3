import type { Instance } from './instance.ts';

/**
 * What the domain reports as it works, for whoever embeds it (the server turns these into
 * metrics and log lines). The domain knows nothing of Prometheus or HTTP: it only says
 * what happened, with the stable codes of errors/.
 */
export type CatalogEvent =
  /** One subscription's import ended: `applied`, `unchanged`, `not-modified` or the refusal code. */
  | {
      type: 'import';
      subscription: string;
      result: string;
      rule?: string | undefined;
      message?: string | undefined;
    }
  /** Bytes of an image download that arrived over the network (not resumed ones read from disk). */
  | { type: 'fetch.bytes'; subscription: string; bytes: number }
  /** One image's fetch ended; `code` is set for `failed` and `quarantined`. */
  | { type: 'fetch'; subscription: string; outcome: string; code?: string | undefined }
  /** The gate answered a question (`answerGate`); `reasons` are the failing rules' codes. */
  | {
      type: 'gate';
      image: string;
      subscription?: string | undefined;
      deployable: boolean;
      reasons: readonly string[];
    }
  /** A migration stage ended: `done` or the refusal code. */
  | { type: 'migration'; stage: string; result: string }
  /**
   * The approval feed for compute nodes (site/approval-feed.ts): `signed` a new sequence,
   * `skipped` an image it cannot list, or `failed` to refresh (`message` says why).
   */
  | {
      type: 'approval-feed';
      result: 'signed' | 'skipped' | 'failed';
      sequence?: number | undefined;
      message?: string | undefined;
    }
  /**
   * The Glance sync (glance/sync-run.ts): one action on a Glance image ended (`done` or the
   * failure code), or a whole run ended (`action: 'run'`, `ok` or the code that stopped it).
   */
  | { type: 'glance'; action: string; result: string }
  /** The transparency log: a checkpoint could not be signed after a commit (retried on the next). */
  | { type: 'log'; result: 'failed'; message: string }
  /** A witness asked at publish cosigned the log's checkpoint, or did not (log-witnesses.ts). */
  | {
      type: 'log-cosign';
      witness: string;
      result: 'cosigned' | 'failed';
      message?: string | undefined;
    };

export type Observer = (event: CatalogEvent) => void;

/**
 * The observers of one instance. An observer that throws is dropped from that event only:
 * reporting must never change what the domain does (threat: a metrics bug failing an
 * import or a gate answer).
 */
export class Observers {
  private readonly list = new Set<Observer>();

  /** Adds an observer; returns the function that removes it. */
  add(observer: Observer): () => void {
    this.list.add(observer);
    return () => this.list.delete(observer);
  }

  emit(event: CatalogEvent): void {
    for (const o of this.list) {
      try {
        o(event);
      } catch {
        // See the class comment: reporting failures stay out of the domain.
      }
    }
  }
}

/** Reports `event` to the instance's observers, if it has any. */
export function observe(inst: Pick<Instance, 'observers'>, event: CatalogEvent): void {
  inst.observers.emit(event);
}
