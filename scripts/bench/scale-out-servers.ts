import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SETUP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/setup');

/** Why the scale-out rows cannot run here, or undefined when they can. */
export function scaleOutMissing(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'needs root (PostgreSQL and Ceph are started as root, without systemd)';
  for (const tool of ['/usr/sbin/nginx', '/usr/bin/ceph-mon', '/usr/bin/radosgw'])
    if (!fs.existsSync(tool))
      return `${tool} is missing (apt-get install nginx ceph-mon ceph-osd radosgw ceph-common postgresql)`;
  if (spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/initdb']).status !== 0)
    return 'PostgreSQL is missing (apt-get install postgresql)';
  return undefined;
}

/**
 * A throwaway PostgreSQL and a Ceph RGW on bluestore (a sparse file: memstore would hold
 * the GiBs of the transfer rows in RAM), started with the test setup scripts. Their
 * variables (VMIC_TEST_PG_URL, VMIC_TEST_S3_ENDPOINT, AWS_*) go into process.env, where the
 * test helpers that make a database and a bucket read them. `stop` stops both.
 */
export function startServers(dir: string): { stop: () => void } {
  // PostgreSQL runs as the postgres user, which must reach its directory.
  fs.chmodSync(dir, 0o755);
  const started: string[] = [];
  const stop = () => {
    for (const [script, sub] of [
      ['ceph-rgw.sh', 'rgw'],
      ['postgres.sh', 'pg'],
    ] as const)
      if (started.includes(sub))
        spawnSync('bash', [path.join(SETUP, script), 'stop', path.join(dir, sub)], {
          stdio: 'inherit',
        });
  };
  try {
    for (const [script, sub, env] of [
      ['postgres.sh', 'pg', {}],
      ['ceph-rgw.sh', 'rgw', { OSD_STORE: 'bluestore' }],
    ] as const) {
      started.push(sub);
      const out = execFileSync('bash', [path.join(SETUP, script), 'start', path.join(dir, sub)], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      for (const line of out.split('\n')) {
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
        if (m) process.env[m[1]!] = m[2]!;
      }
    }
  } catch (e) {
    stop();
    throw e;
  }
  return { stop };
}
