import type { Generated } from 'kysely';
/** Tables of the instance's transparency log (migration 0016; issue 17, docs/design.md §13). */

/** One leaf: its data as logged (leaves.ts formats), in append order from 0. */
export interface LogLeafTable {
  idx: number;
  data: Uint8Array;
  logged_at: string;
}

/** The hash of a complete subtree: (level L, index i) covers leaves [i·2^L, (i+1)·2^L). */
export interface LogHashTable {
  level: number;
  idx: number;
  hash: Uint8Array;
}

/** A signed checkpoint (C2SP signed note) of the tree of `size` leaves. */
export interface LogCheckpointTable {
  size: number;
  note: string;
  signed_at: string;
  /** How many witness cosignatures the note holds (migration 0017). */
  cosignatures: Generated<number>;
}

/** The largest checkpoint this instance has seen of a log (migration 0017); never shrinks. */
export interface LogViewTable {
  origin: string;
  log_key: string;
  /** Where the log is read (`https://host/log/`), for `vmic witness run`; null if unknown. */
  url: string | null;
  size: Generated<number>;
  root: Uint8Array | null;
  note: string | null;
  updated_at: string;
}

/** A fork found: two checkpoints signed by one log key that no consistency proof joins. */
export interface LogEvidenceTable {
  id: Generated<number>;
  origin: string;
  subscription: string | null;
  /** `import` or `witness`: which role of this instance found it. */
  found_by: string;
  message: string;
  held_note: string;
  served_note: string;
  found_at: string;
  /** When an operator read it (`vmic witness evidence --ack ID`); it stays kept. */
  acknowledged_at: Generated<string | null>;
  acknowledged_by: Generated<string | null>;
}

/** A witness this instance's log asks for cosignatures at publish. */
export interface LogWitnessTable {
  key: string;
  url: string;
  added_at: string;
}

export interface LogTables {
  log_leaves: LogLeafTable;
  log_hashes: LogHashTable;
  log_checkpoints: LogCheckpointTable;
  log_views: LogViewTable;
  log_evidence: LogEvidenceTable;
  log_witnesses: LogWitnessTable;
}
