import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A list in the shape vmcaster writes, with the keys the test chooses to change. */
export function vmcasterList(opts: {
  version: string;
  created: string;
  expires: string;
  dn: string;
  ca: string;
  images: { identifier: string; bytes: Buffer; url: string; extra?: Record<string, unknown> }[];
  identifier?: string;
  drop?: string;
}): string {
  const list: Record<string, unknown> = {
    'dc:date:created': opts.created,
    'dc:date:expires': opts.expires,
    'dc:description': 'Images of the fixture VO',
    'dc:identifier': opts.identifier ?? '0c4f1ed2-7d2b-4a59-9c86-7b0e0e8d2a11',
    'dc:source': 'https://vmcaster.example/',
    'dc:title': 'fixture.vo',
    'hv:endorser': {
      'hv:x509': {
        'dc:creator': 'Fixture Endorser',
        'hv:ca': opts.ca,
        'hv:dn': opts.dn,
        'hv:email': 'endorser@example.org',
      },
    },
    'hv:images': opts.images.map((i) => ({
      'hv:image': {
        'dc:description': `image ${i.identifier}`,
        'dc:identifier': i.identifier,
        'dc:title': `Image ${i.identifier}`,
        'hv:hypervisor': 'KVM',
        'hv:size': i.bytes.length,
        'hv:uri': i.url,
        'hv:version': '1.0',
        'sl:arch': 'x86_64',
        'sl:checksum:sha512': crypto.createHash('sha512').update(i.bytes).digest('hex'),
        'sl:comments': '',
        'sl:os': 'Linux',
        'sl:osversion': 'AlmaLinux 9',
        ...i.extra,
      },
    })),
    'hv:uri': 'https://vmcaster.example/store/fixture.vo/image.list',
    'hv:version': opts.version,
  };
  if (opts.drop) delete list[opts.drop];
  return JSON.stringify({ 'hv:imagelist': list }, null, 2);
}

/** A loopback HTTP server with a settable body per path. */
export async function startServer(): Promise<{
  url(p: string): string;
  serve(p: string, body: Buffer | undefined): void;
  stop(): Promise<void>;
}> {
  const files = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const body = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    serve: (p, body) => (body ? files.set(p, body) : files.delete(p)),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
