/**
 * Shared by the tests of contrib/vmic-verify-disk and contrib/libvirt-qemu-hook: a site
 * PKI made by stock `openssl ca` (STYLE §9: the CA file a compute node is given is not made
 * by vmic), approval feeds in the format of docs/design.md §4 signed with stock
 * `openssl cms -sign`, libvirt domain XML, the hook's configuration file, and a runner that
 * starts the hook the way libvirt does.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { opensslLeaf, opensslOk, opensslRoot } from '../../helpers/openssl/index.ts';
import type { IssuedCert } from '../../helpers/openssl/index.ts';

export const VERIFIER = path.resolve('contrib/vmic-verify-disk');
export const HOOK = path.resolve('contrib/libvirt-qemu-hook');

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command args…` asynchronously (an HTTP server may live in this process), with
 * `input` on stdin. `env` replaces the environment when `clearEnv` is set, else extends it.
 */
export function run(
  command: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; clearEnv?: boolean; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = opts.clearEnv ? { ...opts.env } : { ...process.env, ...opts.env };
    const child = spawn(command, args, { env, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        status: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    // A script that exits without reading stdin closes the pipe early: not a failure here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** `/bin/sh script args…` (dash on Debian), as the hook runs the verifier. */
export function sh(
  script: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return run('/bin/sh', [script, ...args], opts);
}

/** The subject of a certificate as `openssl x509 -noout -subject -nameopt RFC2253` prints it. */
export function rfc2253Subject(certFile: string): string {
  const out = opensslOk(['x509', '-in', certFile, '-noout', '-subject', '-nameopt', 'RFC2253'])
    .toString('utf8')
    .trim();
  if (!out.startsWith('subject=')) throw new Error(`unexpected openssl output: ${out}`);
  return out.slice('subject='.length);
}

export interface FeedPki {
  /** The sites' CA certificate (PEM), the node's `--ca`. */
  caFile: string;
  /** The site whose subject the node pins. */
  site: IssuedCert;
  /** Its subject, RFC 2253, as pinned with `--subject`. */
  subject: string;
  /** Another site certified by the same CA: signs validly, must not approve. */
  otherSite: IssuedCert;
  otherSubject: string;
}

/** A sites CA (`openssl req -x509`) with two site certificates (`openssl ca`), under `dir`. */
export function feedPki(dir: string): FeedPki {
  const ca = opensslRoot(dir, 'sites-ca', '/CN=Test Sites CA');
  const site = opensslLeaf(ca, 'site', '/O=Example/CN=site.example.org');
  const otherSite = opensslLeaf(ca, 'other-site', '/O=Example/CN=other.example.org');
  return {
    caFile: ca.certFile,
    site,
    subject: rfc2253Subject(site.certFile),
    otherSite,
    otherSubject: rfc2253Subject(otherSite.certFile),
  };
}

export interface Disk {
  file: string;
  sha: string;
  size: number;
}

export function sha256Hex(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** Writes `bytes` to `file` (its directory is created) and describes it. */
export function writeDisk(file: string, bytes: Buffer): Disk {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return { file, sha: sha256Hex(bytes), size: bytes.length };
}

/** A copy of `from` with one bit of the byte at `offset` flipped: same size, other hash. */
export function oneByteChanged(from: string, file: string, offset: number): Disk {
  const bytes = fs.readFileSync(from);
  if (offset >= bytes.length) throw new Error(`offset ${offset} past the end of ${from}`);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x01;
  return writeDisk(file, bytes);
}

export function epochNow(): number {
  return Math.floor(Date.now() / 1000);
}

function iso(epoch: number): string {
  return `${new Date(epoch * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * Feed content in the fixed format (docs/design.md §4); `expires` is an epoch (default: an
 * hour from now), `issued` defaults to now. Image lines as the site writes them (sorted by
 * SHA-256); `entry` gives a disk's `REASON ENDORSER IDENTIFIER` (default:
 * `approved-image cern FILE-NAME`).
 */
export function feedText(o: {
  sequence: number;
  disks: Disk[];
  issued?: number;
  expires?: number;
  site?: string;
  entry?: (d: Disk) => string;
}): string {
  const issued = o.issued ?? epochNow();
  const expires = o.expires ?? issued + 3600;
  return [
    'vmic-approved-images 1',
    `site ${o.site ?? 'https://site.example.org'}`,
    `sequence ${o.sequence}`,
    `issued ${iso(issued)} ${issued}`,
    `expires ${iso(expires)} ${expires}`,
    ...[...o.disks]
      .sort((a, b) => (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0))
      .map(
        (d) =>
          `image ${d.sha} ${d.size} ${o.entry ? o.entry(d) : `approved-image cern ${path.basename(d.file)}`}`,
      ),
    'end',
    '',
  ].join('\n');
}

let signed = 0;

/** Signs `text` with stock `openssl cms` (attached, DER) into a new file under `dir`. */
export function signFeed(dir: string, text: string, signer: IssuedCert): string {
  signed += 1;
  const content = path.join(dir, `feed-${signed}.txt`);
  const out = path.join(dir, `feed-${signed}.p7m`);
  fs.writeFileSync(content, text);
  opensslOk(
    ['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256']
      .concat(['-signer', signer.certFile, '-inkey', signer.keyFile])
      .concat(['-in', content, '-out', out]),
  );
  return out;
}

/**
 * The signed text of a feed file, checked by stock `openssl cms -verify` against `caFile`
 * (throws if it does not verify).
 */
export function feedContent(p7mFile: string, caFile: string): string {
  return opensslOk(
    ['cms', '-verify', '-binary', '-inform', 'DER', '-in', p7mFile].concat([
      '-CAfile',
      caFile,
      '-purpose',
      'any',
    ]),
  ).toString('utf8');
}

/** The `sequence` of a feed file, read from its verified content. */
export function feedSequence(p7mFile: string, caFile: string): number {
  const m = /^sequence (\d+)$/m.exec(feedContent(p7mFile, caFile));
  if (!m) throw new Error(`${p7mFile} has no sequence line`);
  return Number(m[1]);
}

/**
 * Domain XML as libvirt generates it (one element per line), one file disk per path, of
 * driver type `driver` (default raw). `devices`, when given, is put on lines of its own after
 * those disks (other <disk> elements, say).
 */
export function domainXml(
  name: string,
  files: string[],
  o: { driver?: string; devices?: string } = {},
): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/'/g, '&apos;');
  const disks = files.map(
    (f, i) => `    <disk type='file' device='disk'>
      <driver name='qemu' type='${o.driver ?? 'raw'}'/>
      <source file='${esc(f)}' index='${i + 1}'/>
      <backingStore/>
      <target dev='vd${String.fromCharCode(97 + i)}' bus='virtio'/>
    </disk>`,
  );
  return `<domain type='kvm' id='1'>
  <name>${name}</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
${[...disks, ...(o.devices !== undefined ? [o.devices] : [])].join('\n')}
    <interface type='network'>
      <source network='default'/>
    </interface>
  </devices>
</domain>
`;
}

/** Writes the hook's configuration (/etc/vmic/verify-disk.conf) to `file`. */
export function writeHookConf(
  file: string,
  o: { feed: string; ca: string; subject: string; state?: string; extra?: string },
): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(
    file,
    `FEED=${q(o.feed)}\nCA=${q(o.ca)}\nSUBJECT=${q(o.subject)}\n` +
      (o.state !== undefined ? `STATE=${q(o.state)}\n` : '') +
      (o.extra ?? ''),
  );
  return file;
}

/**
 * The hook as libvirt starts it: the executable itself (its `#!/bin/sh` line, not a shell
 * we choose), `DOMAIN OPERATION SUBOP -` with the domain XML on stdin, from `/`, in a small
 * environment (LC_ALL=C, PATH, HOME, TMPDIR: libvirt passes hooks only a few variables). The
 * configuration and verifier paths come through the two variables the hook documents for
 * tests.
 */
export function runHookAsLibvirt(
  conf: string,
  domain: string,
  xml: string,
  operation = 'prepare',
  subop = 'begin',
): Promise<Run> {
  return run(HOOK, [domain, operation, subop, '-'], {
    input: xml,
    clearEnv: true,
    cwd: '/',
    env: {
      LC_ALL: 'C',
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/',
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      VMIC_VERIFY_DISK_CONF: conf,
      VMIC_VERIFY_DISK: VERIFIER,
    },
  });
}

/** The last line the hook prints when it refuses to start `domain`. */
export function hookRefusal(domain: string): string {
  return `vmic-libvirt-qemu-hook: domain ${domain}: refused to start: a disk is not approved by the vmic approval feed (see above)\n`;
}
