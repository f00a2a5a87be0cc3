import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** The documented configuration (README, "Scaling out"): the test and the bench run it. */
export const NGINX_CONF = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../contrib/nginx/vmic.conf',
);
const NGINX = '/usr/sbin/nginx';

export interface NginxOptions {
  /** Loopback port nginx listens on, in plain HTTP (TLS is the one thing left out). */
  port: number;
  /** Ports of the vmic replicas on 127.0.0.1. */
  replicas: readonly number[];
  /** Server blocks added beside the documented one (the bench's static-file server). */
  extra?: string;
  workerProcesses?: number | 'auto';
}

/**
 * contrib/nginx/vmic.conf with what must differ on a test machine replaced: the replicas,
 * the cache directory, the listen address, and TLS (a loopback test has no certificate;
 * the plain-HTTP redirect server goes). Each replacement must match exactly where the
 * file has it, so that an edit of the file that the test would silently stop following
 * fails here instead.
 */
export function renderVmicConf(dir: string, opts: NginxOptions): string {
  let conf = fs.readFileSync(NGINX_CONF, 'utf8');
  const replace = (what: string, pattern: RegExp, by: string) => {
    const all = new RegExp(pattern.source, pattern.flags + 'g');
    if (!all.test(conf)) throw new Error(`${NGINX_CONF}: ${what} not found (${pattern})`);
    conf = conf.replace(all, () => by);
  };
  const servers = opts.replicas
    .map((p) => `    server 127.0.0.1:${p} max_fails=2 fail_timeout=10s;`)
    .join('\n');
  replace('the upstream servers', /(?:^ {4}server 127\.0\.0\.1:808\d [^\n]*\n)+/m, servers + '\n');
  replace('the cache directory', /\/var\/cache\/nginx\/vmic\//, `${dir}/cache/`);
  replace(
    'the plain-HTTP redirect server',
    /^server \{\n {4}listen 80;\n[^}]*\}\n/m,
    '# (the plain-HTTP redirect server is left out on loopback)\n',
  );
  replace(
    'the TLS listen lines',
    /^ {4}listen 443 ssl http2;\n {4}listen \[::\]:443 ssl http2;\n/m,
    `    listen 127.0.0.1:${opts.port};\n`,
  );
  replace('the certificate lines', /^ {4}ssl_certificate[^\n]*\n/m, '');
  return conf;
}

/** The main nginx.conf around it: everything nginx writes stays in `dir`. */
export function mainConf(dir: string, opts: NginxOptions): string {
  const tmp = (name: string) => `${name}_temp_path ${dir}/tmp/${name};`;
  return [
    // As root nginx would hand its workers to `nobody`, who cannot write into a 0700
    // mkdtemp directory; otherwise it runs as whoever started it.
    process.getuid?.() === 0 ? 'user root;' : '',
    `worker_processes ${opts.workerProcesses ?? 1};`,
    `error_log ${dir}/error.log warn;`,
    `pid ${dir}/nginx.pid;`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    '  default_type application/octet-stream;',
    `  client_body_temp_path ${dir}/tmp/client_body;`,
    `  ${tmp('proxy')} ${tmp('fastcgi')} ${tmp('uwsgi')} ${tmp('scgi')}`,
    renderVmicConf(dir, opts),
    opts.extra ?? '',
    '}',
    '',
  ].join('\n');
}

export interface Nginx {
  url: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Starts Debian's nginx in the foreground (its master is our child) and waits for its port. */
export async function startNginx(dir: string, opts: NginxOptions): Promise<Nginx> {
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'cache'), { recursive: true });
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, mainConf(dir, opts));
  const errorFile = path.join(dir, 'error.log');
  const args = ['-p', dir, '-e', errorFile, '-c', file];
  const check = spawnSync(NGINX, [...args, '-t'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused ${file}:\n${check.stderr}`);
  const child: ChildProcess = spawn(NGINX, [...args, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = () =>
    stderr + (fs.existsSync(errorFile) ? fs.readFileSync(errorFile, 'utf8') : '');
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start:\n${errorLog()}`);
    if (await listening(opts.port)) break;
    if (i === 200) {
      child.kill('SIGKILL');
      throw new Error(`nginx does not listen on ${opts.port} after 200 polls:\n${errorLog()}`);
    }
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${opts.port}`,
    errorLog,
    stop: async () => {
      if (child.exitCode !== null) return;
      // Fast shutdown; the workers go with the master.
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
