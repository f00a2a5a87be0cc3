import { openInstance, type Instance } from '../../../catalog/index.ts';
import { startServer } from '../../../server/index.ts';
import { instanceConfig, parse, parsePort, str, type Parsed } from '../options.ts';
import { UsageError } from '../usage-error.ts';

export const SERVE_OPTIONS = { host: { type: 'string' }, port: { type: 'string' } } as const;

export async function serveCommand(argv: string[]): Promise<number> {
  const p = parse(argv, SERVE_OPTIONS, false);
  const { host, port } = listenAddress(p);
  const inst = await openInstance(instanceConfig(p, `http://${hostForUrl(host)}:${port}`));
  await serveUntilSignal(inst, host, port, () => {});
  return 0;
}

export function listenAddress(p: Parsed): { host: string; port: number } {
  const host = str(p, 'host') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host))
    throw new UsageError(`--host: not a host name or address: ${host}`);
  return { host, port: parsePort(str(p, 'port') ?? '8080') };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Runs the server until SIGINT/SIGTERM, then closes connections and the database cleanly. */
export async function serveUntilSignal(
  inst: Instance,
  host: string,
  port: number,
  onListening: (url: string) => void,
): Promise<void> {
  const server = await startServer(inst, { host, port });
  process.stderr.write(
    `vmic listening on ${server.url} (public URL ${inst.config.publicUrl}, data ${inst.config.dataDir})\n`,
  );
  onListening(server.url);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await inst.close();
}
