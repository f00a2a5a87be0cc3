import fs from 'node:fs';
import path from 'node:path';

/**
 * Durable file moves for blobs and cached images (docs/design.md §10): a file renamed into
 * its content-addressed place must still be whole, and still be there, after a power
 * loss, because a database row is about to vouch for it. A rename alone guarantees
 * neither: the file's data may still be in the page cache, and the new directory entry
 * too. So: fsync the file, rename, fsync the directory (and the source directory, and
 * every directory `mkdir` just created, whose entries live in their parents).
 *
 * A kill -9 cannot show the difference (the page cache survives a process); only a
 * power loss or a kernel crash does.
 */

/** Flushes a file's data and metadata to disk (fsync). */
export async function fsyncFile(file: string): Promise<void> {
  const fh = await fs.promises.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Flushes a directory's entries to disk. Where directories cannot be opened or synced
 * (not Linux), there is nothing more to do than the rename itself.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(dir, 'r');
  } catch (e) {
    if (isUnsupported(e)) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!isUnsupported(e)) throw e;
  } finally {
    await fh.close();
  }
}

/** `mkdir -p`, then fsync the parent of every directory it created. */
export async function mkdirDurable(dir: string, mode?: number): Promise<void> {
  const first = await fs.promises.mkdir(dir, {
    recursive: true,
    ...(mode === undefined ? {} : { mode }),
  });
  if (first === undefined) return;
  // `first` is the topmost directory created; each one below it was created too.
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    await fsyncDirectory(path.dirname(d));
    if (d === path.resolve(first) || d === path.dirname(d)) break;
  }
}

/**
 * Moves a complete file into place durably: fsync of the file, rename (atomic: readers see
 * the old state or the whole new file), fsync of the target directory, and of the source
 * directory when it is another one. Missing target directories are created (with `dirMode`).
 */
export async function durableRename(
  from: string,
  to: string,
  opts: { dirMode?: number } = {},
): Promise<void> {
  await fsyncFile(from);
  const dir = path.dirname(to);
  await mkdirDurable(dir, opts.dirMode);
  await fs.promises.rename(from, to);
  await fsyncDirectory(dir);
  if (path.resolve(path.dirname(from)) !== path.resolve(dir))
    await fsyncDirectory(path.dirname(from));
}

/**
 * Resolves once a file write stream has closed its file. After a failed `pipeline`, the
 * stream may still be opening its file (the open runs in the thread pool): removing the
 * path before then leaves an empty file that the late open creates. Wait for this first.
 */
export async function writeStreamClosed(stream: fs.WriteStream): Promise<void> {
  if (stream.closed) return;
  await new Promise<void>((resolve) => {
    stream.once('close', () => resolve());
    if (!stream.destroyed) stream.destroy();
  });
}

function isUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EINVAL' || code === 'ENOTSUP';
}
