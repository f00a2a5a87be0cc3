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
}

export interface LogTables {
  log_leaves: LogLeafTable;
  log_hashes: LogHashTable;
  log_checkpoints: LogCheckpointTable;
}
