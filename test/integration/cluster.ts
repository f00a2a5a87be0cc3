import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vmic, type CliResult } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { opensslIdentity } from '../helpers/openssl/index.ts';
import { startNginx, type Nginx } from './nginx.ts';
import { Replica } from './replicas.ts';
import { scaleOutBackend, type ScaleOutBackend } from './scale-out-backend.ts';

export const ENDORSER = 'scale';

/**
 * The README's "Scaling out" set-up on one machine: three `vmic serve` replicas on one
 * database and one object store, nginx with contrib/nginx/vmic.conf in front, the public
 * URL being nginx's. The endorser and the tokens are made with the CLI, as an operator
 * would, from a fourth data directory: nothing is shared through files.
 */
export interface Cluster {
  work: string;
  backend: ScaleOutBackend;
  replicas: Replica[];
  nginx: Nginx;
  publicUrl: string;
  adminToken: string;
  endorserToken: string;
  /** A `vmic` command beside the replicas (a cron job or an operator's shell). */
  cli(args: string[]): CliResult;
  /** A further process on the same backend (the demo of check (d)). */
  extraReplica(name: string, command: string[]): Promise<Replica>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  replicas?: number;
  /** More server blocks for nginx (the bench's static-file server). */
  nginxExtra?: string;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const replicaCount = opts.replicas ?? 3;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-scale-'));
  const backend = await scaleOutBackend(work);
  const replicas: Replica[] = [];
  const extras: Replica[] = [];
  let nginx: Nginx | undefined;
  const nginxPort = await freePort();
  const publicUrl = `http://127.0.0.1:${nginxPort}`;
  const env = { ...backend.env, VMIC_PUBLIC_URL: publicUrl };
  const cliData = backend.dataDir(0);
  const cli = (args: string[]): CliResult => vmic([...args, '--data', cliData], env);
  const run = (args: string[]): string => {
    const r = cli(args);
    if (r.status !== 0) throw new Error(`vmic ${args.join(' ')}: ${r.status}\n${r.stderr}`);
    return r.stdout.trim();
  };
  const close = async () => {
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<void>) => fn().catch((e: unknown) => errors.push(e));
    if (nginx) await step(() => nginx!.stop());
    await Promise.all([...replicas, ...extras].map((r) => step(() => r.stop())));
    await step(() => backend.dispose());
    fs.rmSync(work, { recursive: true, force: true });
    if (errors.length) throw new AggregateError(errors, 'tearing the cluster down failed');
  };
  try {
    const id = opensslIdentity(work, { name: ENDORSER });
    // The first command creates the schema; the replicas then start on a current one.
    run(['endorser', 'add', ENDORSER, '--cert', id.certFile, '--key', id.keyFile]);
    const adminToken = run(['token', 'create', '--role', 'admin', '--ttl', '1d']);
    const endorserToken = run(['token', 'create', '--role', `endorser:${ENDORSER}`, '--ttl', '1d']);
    fs.rmSync(id.keyFile);
    const serveArgs = (i: number) => [
      'serve',
      '--data',
      backend.dataDir(i),
      '--public-url',
      publicUrl,
    ];
    for (let i = 1; i <= replicaCount; i++)
      replicas.push(new Replica(`replica ${i}`, await freePort(), serveArgs(i), env));
    await Promise.all(replicas.map((r) => r.start()));
    fs.mkdirSync(path.join(work, 'nginx'));
    nginx = await startNginx(path.join(work, 'nginx'), {
      port: nginxPort,
      replicas: replicas.map((r) => r.port),
      ...(opts.nginxExtra ? { extra: opts.nginxExtra } : {}),
    });
    let extra = 0;
    return {
      work,
      backend,
      replicas,
      nginx,
      publicUrl,
      adminToken,
      endorserToken,
      cli,
      extraReplica: async (name, command) => {
        const r = new Replica(
          name,
          await freePort(),
          [...command, '--data', backend.dataDir(100 + ++extra), '--public-url', publicUrl],
          env,
        );
        extras.push(r);
        return r;
      },
      close,
    };
  } catch (e) {
    await close().catch(() => {});
    throw e;
  }
}
