import { appendHashes, leafHash, type Hash, type HashReader } from '../../tlog/index.ts';

/** A tree held in a map, for tests: the same stored-subtree layout a database would hold. */
export class MemoryTree {
  private readonly hashes = new Map<string, Hash>();
  size = 0;

  readonly read: HashReader = (level, index) => {
    const h = this.hashes.get(`${level}/${index}`);
    return h ? Promise.resolve(h) : Promise.reject(new Error(`no hash at ${level}/${index}`));
  };

  async append(data: Uint8Array): Promise<void> {
    for (const s of await appendHashes(this.size, leafHash(data), this.read))
      this.hashes.set(`${s.level}/${s.index}`, s.hash);
    this.size++;
  }

  static async of(leaves: readonly Uint8Array[]): Promise<MemoryTree> {
    const t = new MemoryTree();
    for (const l of leaves) await t.append(l);
    return t;
  }
}

export const leaf = (i: number): Uint8Array => Buffer.from(`leaf-${i}`);
