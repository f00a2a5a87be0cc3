// Runs test/tlog/go/vmic-tlog-check: a Go program built against golang.org/x/mod/sumdb/note
// and .../tlog (Debian's golang-golang-x-mod-dev, GOPATH mode, no network) that checks the
// transparency log's signed notes, checkpoints and Merkle proofs with code that is not ours.
// The program is built once per process into a temp dir, removed on exit.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Source directory of the Go program. */
export const GO_TLOG_SOURCE = fileURLToPath(
  new URL('../tlog/go/vmic-tlog-check/', import.meta.url),
);
const GOPATH = '/usr/share/gocode';
const X_MOD = join(GOPATH, 'src/golang.org/x/mod/sumdb');
const INSTALL_HINT =
  'run as root: apt-get install golang-go golang-golang-x-mod-dev (sh test/setup/tools.sh does this)';

export interface GoTlogResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface GoInclusionVector {
  size: number;
  index: number;
  /** Base64 hashes, as returned by tlog.ProveRecord. */
  proof: string[];
}

export interface GoConsistencyVector {
  /** Older tree size. */
  n: number;
  /** Newer tree size (n <= m). */
  m: number;
  /** Base64 hashes, as returned by tlog.ProveTree(m, n). */
  proof: string[];
}

/**
 * What `vmic-tlog-check vectors` prints. Leaf i is the UTF-8 string `leaf-${i}`; `roots`
 * holds the RFC 6962 tree hash (base64) for sizes 1-8, 13, 64 and 100; `inclusion` every
 * proof for sizes 7, 13 and 100; `consistency` the pairs (1,7) (3,7) (4,8) (6,13) (13,100)
 * (64,100) (100,100). `note` and `checkpoint` are signed by a fresh Ed25519 key named
 * vmic.example/log (note.GenerateKey); the checkpoint is for the 13-leaf tree.
 */
export interface GoVectors {
  roots: Record<string, string>;
  inclusion: GoInclusionVector[];
  consistency: GoConsistencyVector[];
  note: { vkey: string; text: string };
  checkpoint: { vkey: string; text: string; origin: string; size: number; root: string };
}

/** The leaf data the vectors use for leaf i. */
export function goVectorLeaf(i: number): Buffer {
  return Buffer.from(`leaf-${i}`, 'utf8');
}

let dir: string | undefined;
let binary: string | undefined;
let building: Promise<string> | undefined;

function buildEnv(gocache: string, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH,
    GOCACHE: gocache,
    HOME: home,
    GOFLAGS: '',
    GOPROXY: 'off',
    CGO_ENABLED: '0',
  };
  delete env.GOTOOLCHAIN;
  delete env.GOENV;
  return env;
}

function prepare(name: string): { bin: string; env: NodeJS.ProcessEnv } {
  const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (goVersion.error !== undefined || goVersion.status !== 0) {
    throw new Error(`go-tlog: the go command is missing or broken; ${INSTALL_HINT}`);
  }
  if (!existsSync(join(X_MOD, 'note')) || !existsSync(join(X_MOD, 'tlog'))) {
    throw new Error(`go-tlog: golang.org/x/mod sources missing under ${X_MOD}; ${INSTALL_HINT}`);
  }
  if (dir === undefined) {
    const created = mkdtempSync(join(tmpdir(), 'vmic-go-tlog-'));
    dir = created;
    process.on('exit', () => rmSync(created, { recursive: true, force: true }));
  }
  return { bin: join(dir, name), env: buildEnv(join(dir, 'gocache'), dir) };
}

function buildFailed(detail: string): Error {
  return new Error(`go-tlog: go build in ${GO_TLOG_SOURCE} failed: ${detail.trim()}`);
}

/** Builds the Go program once per process (async) and resolves to the binary's path. */
export function goTlogCheckBinary(): Promise<string> {
  if (binary !== undefined) return Promise.resolve(binary);
  building ??= (async () => {
    const { bin, env } = prepare('vmic-tlog-check');
    try {
      await run('go', ['build', '-o', bin, '.'], { cwd: GO_TLOG_SOURCE, env, encoding: 'utf8' });
    } catch (e) {
      const err = e as { stderr?: string; message?: string };
      throw buildFailed(err.stderr || err.message || String(e));
    }
    binary = bin;
    return bin;
  })();
  return building;
}

function binarySync(): string {
  if (binary !== undefined) return binary;
  // A separate output file, in case an async build is still writing the other one.
  const { bin, env } = prepare('vmic-tlog-check-sync');
  const r = spawnSync('go', ['build', '-o', bin, '.'], {
    cwd: GO_TLOG_SOURCE,
    env,
    encoding: 'utf8',
  });
  if (r.error !== undefined || r.status !== 0) {
    throw buildFailed(r.stderr || (r.error?.message ?? `exit ${String(r.status)}`));
  }
  binary = bin;
  return bin;
}

/**
 * Runs `vmic-tlog-check ARGS...` with STDIN and returns its exit status and output
 * (0: ok, 1: check failed with one line on stderr, 2: usage). Builds the program
 * synchronously if goTlogCheckBinary() has not finished yet.
 */
export function goTlogCheck(args: string[], stdin?: Buffer | string): GoTlogResult {
  const r = spawnSync(binarySync(), args, {
    input: stdin ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error !== undefined) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let vectors: Promise<GoVectors> | undefined;

/** The Go-made test vectors (`vmic-tlog-check vectors`), computed once per process. */
export function goVectors(): Promise<GoVectors> {
  vectors ??= (async () => {
    const bin = await goTlogCheckBinary();
    const r = await run(bin, ['vectors'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(r.stdout) as GoVectors;
  })();
  return vectors;
}
