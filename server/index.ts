import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Instance } from '../catalog/index.ts';
import { buildApp, type AppOptions } from './app.ts';
import { answerParserErrors, answerProtocolRefusals } from './client-errors.ts';

export { createApp, type AppOptions } from './app.ts';
export type { PrincipalResolver } from './auth.ts';
export type { MetricsAccess } from './metrics-access.ts';
export { parseCidrList } from './metrics-access.ts';
export { parseTrustProxy } from './client-address.ts';

export interface RunningServer {
  /** Base URL of the listening socket (not the public URL, which may sit behind a proxy). */
  url: string;
  close(): Promise<void>;
}

/** Idle sockets are dropped after this long (threat: slow clients holding connections). */
const SOCKET_IDLE_MS = 5 * 60 * 1000;

export async function startServer(
  inst: Instance,
  listen: { host: string; port: number },
  opts: AppOptions = {},
): Promise<RunningServer> {
  const { app, detach } = buildApp(inst, opts);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(listen.port, listen.host, (err?: Error) =>
      err ? reject(err) : resolve(s),
    );
  });
  // Image uploads take as long as the bytes take: no whole-request deadline, but a socket
  // that stops sending is closed.
  server.requestTimeout = 0;
  answerParserErrors(server);
  answerProtocolRefusals(server);
  server.setTimeout(SOCKET_IDLE_MS);
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        detach();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
