import zlib from 'node:zlib';
import type { Role } from '../../../catalog/index.ts';
import { Rng } from './prng.ts';
import type { Route } from './routes.ts';
import { ENDORSERS, type Prepared, type WebSession } from './target.ts';

/**
 * Malformed requests for every route. A request starts as a valid one for its route
 * (real names, hashes and credentials, a well-formed body), then one to three mutations
 * break it: path parameters, query, method, body, content type, framing, credentials,
 * CSRF, Accept, ranges, conditionals, header sizes and bytes, protocol. Starting from a
 * valid request lets mutations reach deep into handlers instead of stopping at the
 * first check.
 */

export interface FuzzContext {
  seed: number;
  port: number;
  publicUrl: string;
  prepared: Prepared;
  sessions: WebSession[];
  /** Sessions that sign-out and sign-in may end, so the others stay signed in for the whole run. */
  spareSessions: WebSession[];
}

export interface FuzzRequest {
  index: number;
  route: Route;
  method: string;
  /** The request-target as sent (latin1: one char per byte, raw bytes included). */
  target: string;
  head: Buffer;
  body: Buffer;
  halfClose: boolean;
  mutations: string[];
  /** The request is framed so that the server may rightly never answer (body cut short, CONNECT). */
  mayGoUnanswered: boolean;
  /**
   * Statuses the answer must have whatever the route: 20 KB of headers is a 431 (or a 400
   * when another mutation broke the request line first).
   */
  expectStatus?: number[];
}

/** Latin1 string of the UTF-8 bytes of `s`: how raw non-ASCII bytes travel in `target`. */
function raw(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

const FEED_FILES = [
  'catalog.p7m',
  'catalog.nq',
  'catalog.p7s',
  'catalog.ttl',
  'catalog.jsonld',
  'catalog',
  'image.list',
];
const STATIC_FILES = ['admin.css', 'upload.js'];
const POLICY_VALUES: Record<string, unknown[]> = {
  revocation: ['best-effort', 'require'],
  'max-catalog-age': [86400, null],
  'fetch-scope': ['endorsed', 'approved'],
  'feed-max-bytes': [64 * 1024 * 1024],
  'feed-timeout-ms': [60000, '60000'],
  'fetch-concurrency': [2],
  'fetch-min-rate': [262144],
  'fetch-rate-window': [60],
  'fetch-deadline': [21600],
  'transfer-clock-window': [300, null],
};
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What a mutation works on: the request before it is serialised. */
interface Draft {
  route: Route;
  method: string;
  version: string;
  /** Path segments as sent (already percent-encoded or raw), and the query after `?`. */
  segments: string[];
  query: string[];
  /** A whole-target override (absolute form, `*`, …). */
  target?: string;
  headers: [string, string][];
  body: Buffer;
  bodyKind: 'none' | 'json' | 'form' | 'multipart' | 'pem' | 'transfer';
  /** How the body is framed: its exact length, or a lie. */
  framing:
    | { kind: 'exact' }
    | { kind: 'declared'; value: string; halfClose?: boolean }
    | { kind: 'none' }
    | { kind: 'chunked'; broken?: boolean };
  session?: WebSession;
  mayGoUnanswered: boolean;
  mutations: string[];
}

function setHeader(d: Draft, name: string, value: string | undefined): void {
  d.headers = d.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  if (value !== undefined) d.headers.push([name, value]);
}

// ---------------------------------------------------------------------------------------
// Valid starting points

function endorserFor(rng: Rng): string {
  return rng.chance(0.8) ? ENDORSERS[0] : ENDORSERS[1];
}

function validParam(
  name: string,
  route: Route,
  rng: Rng,
  ctx: FuzzContext,
  endorser: string,
): string {
  const p = ctx.prepared;
  switch (name) {
    case 'endorser':
    case 'name':
      // Removing a subscription the demo set up would leave later requests nothing to
      // reach: deletion aims at the ones the fuzzer itself subscribes.
      if (route.method === 'DELETE' && route.path.includes('/subscriptions/'))
        return rng.chance(0.9) ? rng.pick(['fuzz-sub', 'fuzz-second']) : endorser;
      return endorser;
    case 'identifier':
      return rng.pick(p.identifiers[endorser] ?? ['demo-linux-server']);
    case 'sequence':
      return rng.pick(['1', '1', '2']);
    case 'file':
      return route.path.startsWith('/static') ? rng.pick(STATIC_FILES) : rng.pick(FEED_FILES);
    case 'hex':
      return rng.chance(0.7) ? rng.pick(p.publishedBlobs) : p.unpublishedBlob;
    case 'image':
      return rng.chance(0.6)
        ? rng.pick(p.identifiers[endorser] ?? ['demo-linux-server'])
        : `sha256:${rng.pick(p.publishedBlobs)}`;
    case 'key':
      return rng.pick(Object.keys(POLICY_VALUES));
    default:
      return 'x';
  }
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function form(fields: Record<string, string>): Buffer {
  return Buffer.from(new URLSearchParams(fields).toString(), 'latin1');
}

const BOUNDARY = '----vmicfuzz7MA4YWxkTrZu0gW';

function multipart(fields: Record<string, string>, file: Buffer | undefined): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields))
    parts.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
    );
  if (file)
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="fuzz.img"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      file,
      Buffer.from('\r\n'),
    );
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

/** A well-formed body for the route, or none. */
function validBody(d: Draft, rng: Rng, ctx: FuzzContext, endorser: string, index: number): void {
  const key = `${d.route.method} ${d.route.path}`;
  const id = `fuzz-${index}`;
  const sha = rng.hex(64);
  const put = (kind: Draft['bodyKind'], type: string, body: Buffer) => {
    d.bodyKind = kind;
    d.body = body;
    setHeader(d, 'Content-Type', type);
  };
  const pj = (v: unknown) => put('json', 'application/json', json(v));
  const pf = (v: Record<string, string>) =>
    put('form', 'application/x-www-form-urlencoded', form(v));
  const pm = (v: Record<string, string>, file?: Buffer) =>
    put('multipart', `multipart/form-data; boundary=${BOUNDARY}`, multipart(v, file));
  const subscription = {
    url: `${ctx.publicUrl}/feeds/${endorser}/`,
    expectSubject: `CN=vmic demo endorser (${endorser === 'demo-rsa' ? 'RSA' : 'ECDSA'}),O=vmic demo,C=CH`,
    name: rng.pick(['fuzz-sub', endorser, 'fuzz-second']),
  };
  const approval: Record<string, string> = rng.chance(0.7)
    ? {
        image: rng.pick(ctx.prepared.identifiers[endorser] ?? ['demo-linux-server']),
        subscription: endorser,
      }
    : { endorser };
  switch (key) {
    case 'POST /api/v1/endorsers/:name/images':
      if (rng.chance(0.5))
        pj({
          identifier: id,
          title: `Fuzz ${index}`,
          url: 'http://127.0.0.1:1/fuzz.img',
          sha256: sha,
          size: 1024,
        });
      else pm({ identifier: id, title: `Fuzz ${index}`, arch: 'x86_64' }, rng.bytes(rng.int(2048)));
      return;
    case 'PATCH /api/v1/endorsers/:name/images/:identifier':
      return pj({ title: `Fuzzed title ${index}`, description: 'changed by the fuzzer' });
    case 'POST /api/v1/endorsers/:name/publish':
      return pj(rng.chance(0.5) ? { expiresInSeconds: 86400 * 30 } : {});
    case 'POST /api/v1/site/trust':
      if (rng.chance(0.5))
        return put('pem', 'application/x-pem-file', Buffer.from(ctx.prepared.certificatePem));
      return pj({ pem: ctx.prepared.certificatePem });
    case 'POST /api/v1/site/subscriptions':
      return pj(subscription);
    case 'POST /api/v1/site/approvals':
    case 'POST /api/v1/site/approvals/revoke':
      return pj(approval);
    case 'PUT /api/v1/site/policy/:key': {
      const k = d.segments[d.segments.length - 1]!;
      return pj({ value: rng.pick(POLICY_VALUES[k] ?? ['x']) });
    }
    case 'POST /api/v1/site/fetch':
      return pj(rng.chance(0.5) ? {} : { subscription: endorser });
    case 'POST /api/v1/migrations':
      return pj({ image: 'demo-linux-server', subscription: endorser, to: 'no-such-peer' });
    case 'POST /api/v1/transfers':
      return put('transfer', 'application/vnd.vmic.transfer', rng.bytes(64 + rng.int(2048)));
    case 'POST /login/dev':
      return pf({
        name: 'fuzz',
        role: rng.pick(['admin', 'auditor', 'endorser:demo-rsa']),
        next: '/admin',
      });
    case 'POST /saml/acs':
      return pf({
        SAMLResponse: Buffer.from(`<samlp:Response ID="_${rng.hex(16)}"/>`).toString('base64'),
        RelayState: `${rng.hex(22)}/admin`,
      });
    case 'POST /endorsers/:name/images/upload':
      return pm({ identifier: id, title: `Fuzz upload ${index}` }, rng.bytes(rng.int(2048)));
    case 'POST /endorsers/:name/images/register':
      return pf({
        identifier: id,
        title: `Fuzz ${index}`,
        url: 'http://127.0.0.1:1/x.img',
        sha256: sha,
        size: '1024',
      });
    case 'POST /endorsers/:name/images/:identifier':
      return pf({ title: `Fuzzed title ${index}`, osFamily: 'linux' });
    case 'POST /endorsers/:name/publish':
      return pf({ expiresInDays: String(1 + rng.int(366)) });
    case 'POST /site/trust':
      return pf({ pem: ctx.prepared.certificatePem });
    case 'POST /site/subscriptions':
      return pf(subscription);
    case 'POST /site/approvals':
    case 'POST /site/approvals/revoke':
      return pf(approval);
    default:
      if (UNSAFE.has(d.route.method) && d.route.path.startsWith('/api/')) {
        if (rng.chance(0.3)) pj({});
      } else if (UNSAFE.has(d.route.method)) {
        pf({});
      }
  }
}

/**
 * Signing out or in again ends the session presented: those routes get spare sessions,
 * so that the others stay signed in for the whole run.
 */
function sessionPool(d: Draft, ctx: FuzzContext): WebSession[] {
  return ['/logout', '/login/dev'].includes(d.route.path) ? ctx.spareSessions : ctx.sessions;
}

/** Credentials a client of this route might present: a token of some role, a session, or none. */
function validCredentials(d: Draft, rng: Rng, ctx: FuzzContext): void {
  const web = !d.route.path.startsWith('/api/') && !d.route.path.startsWith('/feeds');
  const choice = rng.weighted<'token' | 'session' | 'none'>([
    ['token', web ? 1 : 5],
    ['session', web ? 6 : 2],
    ['none', 1],
  ]);
  if (choice === 'token') {
    const role: Role = rng.chance(0.5) ? 'admin' : rng.pick([...ctx.prepared.tokens.keys()]);
    setHeader(d, 'Authorization', `Bearer ${ctx.prepared.tokens.get(role)!}`);
  } else if (choice === 'session') {
    const pool = sessionPool(d, ctx);
    const s = rng.chance(0.5) ? pool[0]! : rng.pick(pool);
    d.session = s;
    setHeader(d, 'Cookie', s.cookie);
    if (UNSAFE.has(d.method)) {
      if (d.bodyKind === 'form' && rng.chance(0.5))
        d.body = Buffer.concat([
          d.body,
          Buffer.from(`${d.body.length ? '&' : ''}_csrf=${encodeURIComponent(s.csrf)}`),
        ]);
      else setHeader(d, 'X-CSRF-Token', s.csrf);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Mutations

const HOSTILE_SEGMENTS: readonly (string | (() => string))[] = [
  '%zz',
  '%',
  '%f',
  '%ff',
  '%c0%ae',
  '%c0%ae%c0%ae',
  '%c0%af',
  '%e0%80%ae',
  '%ed%a0%80',
  '%f8%88%80%80%80',
  '%00',
  '%0a',
  '%0d%0a',
  '..',
  '.',
  '%2e%2e',
  '%2e',
  '%2f',
  '..%2f..%2fetc%2fpasswd',
  '%5c..%5c',
  '%u002e',
  '%C3%A9',
  '%F0%9F%92%A9',
  () => raw('é'),
  () => raw('日本語'),
  () => raw('\u{1F4A9}'),
  () => 'a'.repeat(10_000),
  () => '%41'.repeat(3_000),
  'a'.repeat(65),
  'a'.repeat(129),
  '',
  'DEMO-RSA',
  'demo_rsa',
  '-',
  '-demo',
  '0',
  '-1',
  '1e3',
  '1.5',
  '0x10',
  '00001',
  '99999999999999999999',
  '9007199254740993',
  'NaN',
  'Infinity',
  "'%20OR%201=1--",
  '%27',
  '%22',
  '%3Cscript%3E',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'sha256:',
  'sha256:' + 'G'.repeat(64),
  'sha256:' + 'A'.repeat(64),
  'A'.repeat(64),
  'a'.repeat(63),
  'a'.repeat(65),
  'catalog.p7m%00',
  'catalog',
  'image.list',
  'nosuch',
  '*',
  '%2A',
  '%20',
  '+',
  '~',
  ';',
  '%3B',
  '%3F',
  '%23',
];

function hostileSegment(rng: Rng): string {
  const v = rng.pick(HOSTILE_SEGMENTS);
  return typeof v === 'function' ? v() : v;
}

const QUERIES: readonly (string | ((ctx: FuzzContext, rng: Rng) => string))[] = [
  'status=bogus',
  'status=endorsed&status=withdrawn',
  'status[]=x',
  'status[a]=b',
  'subscription=%zz',
  'subscription=',
  'subscription=demo-rsa&subscription=demo-ecdsa',
  'subscription=nosuch',
  'subscription=' + 'a'.repeat(100),
  'subscription[x]=1',
  (ctx) => `_csrf=${encodeURIComponent(ctx.sessions[0]!.csrf)}`,
  '_csrf=',
  '_csrf=%ff',
  'next=//evil.example/',
  'next=%ff',
  'next=javascript:alert(1)',
  'next=' + 'a'.repeat(5000),
  'next=/\\evil.example',
  'page=0',
  'page=-1',
  'page=1e9',
  'page=99999999999999',
  'page=abc',
  'page[]=1',
  'page=2&page=3',
  'actor=%00',
  'action=' + 'x'.repeat(300),
  'from=2020-13-45&to=garbage',
  'from=' + 'x'.repeat(20),
  'saved=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  'published=' + 'x'.repeat(300),
  'signedOut=1',
  'imported=%3Cb%3E&status=ok&code=%3Cscript%3E',
  'code=CONSTRUCTOR',
  'code=__proto__',
  'a=%',
  '%=%',
  '&&&',
  '=',
  '__proto__[x]=1',
  'constructor[prototype][x]=1',
  () => raw('q=é'),
  () => Array.from({ length: 1000 }, (_, i) => `a${i}=${i}`).join('&'),
  () => `v=${'x'.repeat(10_000)}`,
];

const METHODS: readonly (readonly [string, number])[] = [
  ['GET', 3],
  ['HEAD', 3],
  ['POST', 3],
  ['PUT', 2],
  ['PATCH', 2],
  ['DELETE', 2],
  ['OPTIONS', 2],
  ['TRACE', 1],
  ['PROPFIND', 1],
  ['SEARCH', 1],
  ['PURGE', 1],
  ['M-SEARCH', 1],
  ['FOO', 1],
  ['get', 1],
  ['CONNECT', 1],
];

function deepNesting(levels: number, kind: 'array' | 'object' | 'mixed'): Buffer {
  const open = kind === 'array' ? '[' : kind === 'object' ? '{"a":' : '[{"a":';
  const close = kind === 'array' ? ']' : kind === 'object' ? '}' : '}]';
  const reps = kind === 'mixed' ? Math.ceil(levels / 2) : levels;
  return Buffer.from(open.repeat(reps) + '1' + close.repeat(reps));
}

const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1e21,
  [],
  {},
  [1, 2],
  { a: 1 },
  '',
  'x'.repeat(5000),
];

/** The template's JSON object, if the body is one. */
function bodyObject(d: Draft): Record<string, unknown> | undefined {
  // Not a body an earlier mutation nested 10,000 deep: re-serialising it would overflow.
  if (d.bodyKind !== 'json' || d.body.length > 16 * 1024) return undefined;
  try {
    const v: unknown = JSON.parse(d.body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

type Mutation = (d: Draft, rng: Rng, ctx: FuzzContext) => string;

const mutatePathParam: Mutation = (d, rng, ctx) => {
  const params = d.route.path
    .split('/')
    .map((s, i) => [s, i] as const)
    .filter(([s]) => s.startsWith(':'));
  if (params.length === 0) return mutatePathShape(d, rng, ctx);
  const [name, at] = rng.pick(params);
  const v = hostileSegment(rng);
  d.segments[at] = v;
  return `param ${name}=${v.length > 40 ? `${v.slice(0, 20)}…(${v.length})` : v}`;
};

const mutatePathShape: Mutation = (d, rng, ctx) => {
  const path = d.target ?? d.segments.join('/');
  const shape = rng.pick([
    'trailing-slash',
    'double-slash',
    'dot-segment',
    'dotdot-segment',
    'uppercase',
    'absolute-form',
    'absolute-other-host',
    'asterisk',
    'no-leading-slash',
    'fragment',
    'matrix',
    'backslashes',
    'huge-path',
    'encoded-slash',
  ]);
  switch (shape) {
    case 'trailing-slash':
      d.segments.push('');
      break;
    case 'double-slash':
      d.segments.splice(1 + rng.int(Math.max(1, d.segments.length - 1)), 0, '');
      break;
    case 'dot-segment':
      d.segments.splice(1 + rng.int(Math.max(1, d.segments.length - 1)), 0, '.');
      break;
    case 'dotdot-segment':
      d.segments.splice(1 + rng.int(Math.max(1, d.segments.length - 1)), 0, 'x', '..');
      break;
    case 'uppercase':
      d.target = path.toUpperCase();
      break;
    case 'absolute-form':
      d.target = `http://127.0.0.1:${ctx.port}${path}`;
      break;
    case 'absolute-other-host':
      d.target = `http://evil.example${path}`;
      break;
    case 'asterisk':
      d.target = '*';
      break;
    case 'no-leading-slash':
      d.target = path.slice(1);
      break;
    case 'fragment':
      d.target = `${path}#frag`;
      break;
    case 'matrix':
      d.segments[d.segments.length - 1] += ';jsessionid=1';
      break;
    case 'backslashes':
      d.target = path.replaceAll('/', '\\');
      break;
    case 'huge-path':
      // Counted with the headers: past 16 KB Node answers 431 (see serialise).
      d.target = `${path}/${'a'.repeat(70_000)}`;
      break;
    case 'encoded-slash':
      d.target = path.replaceAll('/', '%2F').replace(/^%2F/, '/');
      break;
  }
  return `path ${shape}`;
};

const mutateQuery: Mutation = (d, rng, ctx) => {
  const q = rng.pick(QUERIES);
  const v = typeof q === 'function' ? q(ctx, rng) : q;
  d.query.push(v);
  return `query ${v.length > 40 ? `${v.slice(0, 30)}…(${v.length})` : v}`;
};

const mutateMethod: Mutation = (d, rng) => {
  d.method = rng.weighted(METHODS);
  if (d.method === 'CONNECT') d.mayGoUnanswered = true;
  return `method ${d.method}`;
};

const mutateBody: Mutation = (d, rng) => {
  const obj = bodyObject(d);
  const kind = rng.pick([
    'random-bytes',
    'truncated',
    'deep-array-10k',
    'deep-object-10k',
    'deep-mixed-100k',
    'huge-number',
    'wrong-type',
    'lone-surrogate-value',
    'lone-surrogate-key',
    'invalid-utf8',
    'bom',
    'unknown-field',
    'proto-field',
    'duplicate-keys',
    'scalar',
    'long-string',
    'over-limit',
    'form-garbage',
    'multipart-broken',
    'xml-hostile',
    'empty',
  ]);
  switch (kind) {
    case 'random-bytes':
      d.body = rng.bytes(rng.int(4096));
      break;
    case 'truncated':
      d.body = d.body.subarray(0, rng.int(Math.max(1, d.body.length)));
      break;
    case 'deep-array-10k':
      d.body = deepNesting(10_000, 'array');
      break;
    case 'deep-object-10k':
      d.body = deepNesting(10_000, 'object');
      break;
    case 'deep-mixed-100k':
      d.body = deepNesting(100_000, 'mixed');
      break;
    case 'huge-number': {
      const n = rng.pick([
        '1e400',
        '-1e400',
        '123456789012345678901234567890',
        '-0',
        '1.5',
        '0.1e-400',
        '9007199254740993',
      ]);
      const field = obj
        ? rng.pick(Object.keys(obj).concat('size', 'value', 'expiresInSeconds'))
        : 'value';
      const base = obj ? JSON.stringify({ ...obj, [field]: '__N__' }) : '{"value":"__N__"}';
      d.body = Buffer.from(base.replace('"__N__"', n));
      break;
    }
    case 'wrong-type': {
      const target = obj ?? { value: 1 };
      const field = rng.pick(Object.keys(target).concat('title'));
      d.body = json({ ...target, [field]: rng.pick(WRONG_TYPES) });
      break;
    }
    case 'lone-surrogate-value': {
      const target = obj ?? { title: 'x' };
      const field = rng.pick(Object.keys(target).concat('title'));
      d.body = Buffer.from(
        JSON.stringify({ ...target, [field]: 'SURR' }).replace(
          'SURR',
          rng.pick(['\\ud800', '\\udfff', 'a\\ud83d', '\\udc00\\ud800']),
        ),
      );
      break;
    }
    case 'lone-surrogate-key':
      d.body = Buffer.from('{"\\ud800":1}');
      break;
    case 'invalid-utf8': {
      const bad = rng.pick([
        [0xff],
        [0xfe, 0xff],
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xe2, 0x82],
      ]);
      const at = rng.int(d.body.length + 1);
      d.body = Buffer.concat([d.body.subarray(0, at), Buffer.from(bad), d.body.subarray(at)]);
      break;
    }
    case 'bom':
      d.body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), d.body]);
      break;
    case 'unknown-field':
      d.body = json({ ...(obj ?? {}), unexpected: 1 });
      break;
    case 'proto-field':
      d.body = Buffer.from(
        rng.pick([
          '{"__proto__":{"admin":true}}',
          '{"constructor":{"prototype":{"x":1}}}',
          '{"toString":1}',
          '{"hasOwnProperty":"x"}',
        ]),
      );
      break;
    case 'duplicate-keys': {
      const k = obj ? rng.pick(Object.keys(obj).concat('title')) : 'title';
      d.body = Buffer.from(`{"${k}":"a","${k}":{"b":1},"${k}":null}`);
      break;
    }
    case 'scalar':
      d.body = Buffer.from(
        rng.pick([
          'null',
          '1',
          '"x"',
          'true',
          '[]',
          '{}',
          ' ',
          '\u0000',
          '[null]',
          '{"a"}',
          '{,}',
          'NaN',
          "{'a':1}",
        ]),
      );
      break;
    case 'long-string': {
      const field = obj ? rng.pick(Object.keys(obj).concat('title')) : 'title';
      d.body = json({ ...(obj ?? {}), [field]: 'é'.repeat(100_000) });
      break;
    }
    case 'over-limit':
      d.body = Buffer.concat([
        Buffer.from('{"title":"'),
        Buffer.alloc(1_100_000, 0x61),
        Buffer.from('"}'),
      ]);
      break;
    case 'form-garbage':
      d.body = Buffer.from(
        rng.pick([
          'a=%',
          '%ff=1',
          'title=%ff%fe',
          Array.from({ length: 200 }, (_, i) => `f${i}=${i}`).join('&'),
          'title=a&title=b',
          'title[]=x',
          '_csrf=x&_csrf=y',
          `title=${'x'.repeat(70_000)}`,
          '&&&==&',
          'name=fuzz&role=admin&role=auditor',
          'expiresInDays=0',
          'expiresInDays=367',
          'expiresInDays=1e2',
          'size=-1&url=http://127.0.0.1:1/&sha256=x',
        ]),
        'latin1',
      );
      break;
    case 'multipart-broken':
      d.body = Buffer.from(
        rng.pick([
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc`,
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--${BOUNDARY}`,
          `--other\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc\r\n--other--\r\n`,
          `--${BOUNDARY}\r\n\r\nno disposition\r\n--${BOUNDARY}--\r\n`,
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n` +
            `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="b"\r\n\r\ny\r\n--${BOUNDARY}--\r\n`,
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="unknown"\r\n\r\nx\r\n--${BOUNDARY}--\r\n`,
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="../../../etc/passwd"\r\n\r\nx\r\n--${BOUNDARY}--\r\n`,
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${'n'.repeat(200)}"\r\n\r\nx\r\n--${BOUNDARY}--\r\n`,
          `--${BOUNDARY}\r\nX-Big: ${'h'.repeat(100_000)}\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--${BOUNDARY}--\r\n`,
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${'t'.repeat(300_000)}\r\n--${BOUNDARY}--\r\n`,
          `--${BOUNDARY}--\r\n`,
          '',
        ]),
        'latin1',
      );
      break;
    case 'xml-hostile': {
      const xml = rng.pick([
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><samlp:Response>&d;</samlp:Response>',
        '<a>'.repeat(20_000) + '</a>'.repeat(20_000),
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        'not xml at all',
      ]);
      d.body = form({ SAMLResponse: Buffer.from(xml).toString('base64'), RelayState: 'x' });
      break;
    }
    case 'empty':
      d.body = Buffer.alloc(0);
      break;
  }
  if (d.framing.kind === 'none') d.framing = { kind: 'exact' };
  return `body ${kind}`;
};

const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  'application/json',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset="utf-8"',
  'application/json;charset=utf-8;charset=ascii',
  'application/JSON',
  'text/json',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  `multipart/form-data; boundary=${'x'.repeat(100)}`,
  'text/plain',
  'text/plain; charset=utf-32',
  'application/x-pem-file',
  'application/vnd.vmic.transfer',
  'application/octet-stream',
  '*/*',
  ';;;',
  'json',
  '',
  raw('application/jsön'),
];

const mutateContentType: Mutation = (d, rng) => {
  const t = rng.pick(CONTENT_TYPES);
  setHeader(d, 'Content-Type', t);
  if (rng.chance(0.3)) {
    const enc = rng.pick(['gzip', 'deflate', 'br', 'identity', 'x-garbage', 'gzip, gzip']);
    setHeader(d, 'Content-Encoding', enc);
    // A real gzip bomb: 2 MB of zeros in a few kB, past every body limit once inflated.
    if (enc === 'gzip' && rng.chance(0.5)) d.body = zlib.gzipSync(Buffer.alloc(2 * 1024 * 1024));
    return `content-type ${t ?? '(none)'} + content-encoding ${enc}`;
  }
  return `content-type ${t ?? '(none)'}`;
};

const mutateFraming: Mutation = (d, rng) => {
  const kind = rng.pick([
    'longer-than-sent',
    'shorter-than-sent',
    'no-length',
    'chunked',
    'chunked-broken',
    'cl-and-te',
    'negative',
    'not-a-number',
    'two-lengths',
    'huge',
    'ten-gigabytes',
    'te-gzip-chunked',
    'te-identity',
  ]);
  if (d.body.length === 0 && rng.chance(0.7)) d.body = Buffer.from('{"title":"x"}');
  const n = d.body.length;
  // A framing lie inside the byte stream (a body that runs into the next request, a
  // broken chunk) is found only after the request was dispatched; the server then closes
  // the connection, and the request may rightly go unanswered. Lies in the headers
  // themselves (two lengths, a negative one, both framings) are answered 400.
  if (
    ['shorter-than-sent', 'no-length', 'chunked-broken', 'te-identity', 'te-gzip-chunked'].includes(
      kind,
    )
  )
    d.mayGoUnanswered = true;
  switch (kind) {
    case 'longer-than-sent':
      d.framing = { kind: 'declared', value: String(n + 1 + rng.int(100_000)), halfClose: true };
      d.mayGoUnanswered = true;
      break;
    case 'shorter-than-sent':
      d.framing = { kind: 'declared', value: String(rng.int(Math.max(1, n))) };
      break;
    case 'no-length':
      d.framing = { kind: 'none' };
      break;
    case 'chunked':
      d.framing = { kind: 'chunked' };
      break;
    case 'chunked-broken':
      d.framing = { kind: 'chunked', broken: true };
      break;
    case 'cl-and-te':
      d.framing = { kind: 'chunked' };
      d.headers.push(['Content-Length', String(n)]);
      break;
    case 'negative':
      d.framing = { kind: 'declared', value: '-1' };
      break;
    case 'not-a-number':
      d.framing = { kind: 'declared', value: rng.pick(['abc', '1e3', '0x10', '+12', '1,2']) };
      break;
    case 'two-lengths':
      d.framing = { kind: 'declared', value: String(n) };
      d.headers.push(['Content-Length', String(n + 5)]);
      break;
    case 'huge':
      d.framing = { kind: 'declared', value: '99999999999999999999', halfClose: true };
      d.mayGoUnanswered = true;
      break;
    case 'ten-gigabytes':
      d.framing = { kind: 'declared', value: '10737418240', halfClose: true };
      d.mayGoUnanswered = true;
      break;
    case 'te-gzip-chunked':
      d.framing = { kind: 'chunked' };
      d.headers.push(['Transfer-Encoding', 'gzip, chunked']);
      break;
    case 'te-identity':
      d.framing = { kind: 'none' };
      d.headers.push(['Transfer-Encoding', 'identity']);
      break;
  }
  return `framing ${kind}`;
};

function flip(token: string, rng: Rng): string {
  const at = rng.int(token.length);
  const c = token[at] === 'A' ? 'B' : 'A';
  return token.slice(0, at) + c + token.slice(at + 1);
}

const mutateAuthorization: Mutation = (d, rng, ctx) => {
  const admin = ctx.prepared.tokens.get('admin')!;
  const [header, payload] = admin.split('.') as [string, string, string];
  const forged = (claims: Record<string, unknown>) =>
    `${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const values: readonly string[] = [
    'Bearer',
    'Bearer ',
    `Bearer  ${admin}`,
    `bearer ${admin}`,
    `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    `Bearer ${admin}x`,
    `Bearer ${admin.slice(0, -1)}`,
    `Bearer ${flip(admin, rng)}`,
    `Bearer ${'a'.repeat(10_000)}`,
    `Bearer ${raw('é')}`,
    'Bearer a.b.c',
    'Bearer =',
    `Bearer ${ctx.prepared.expiredToken}`,
    `Bearer ${ctx.prepared.tokens.get(rng.pick([...ctx.prepared.tokens.keys()]))!}`,
    'Digest username="admin"',
    'Negotiate YIIB',
    '',
    `Bearer ${forged({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    `Bearer ${forged({ alg: 'HS512', typ: 'JWT' })}.${payload}.${admin.split('.')[2]}`,
    `Bearer ${header}.${forged({ role: 'admin', jti: 'x', exp: 9999999999 })}.${admin.split('.')[2]}`,
    `Bearer ${admin}, Bearer ${admin}`,
  ];
  const v = rng.pick(values);
  setHeader(d, 'Authorization', v);
  if (rng.chance(0.15)) d.headers.push(['Authorization', 'Bearer second']);
  return `authorization ${v.length > 30 ? `${v.slice(0, 24)}…(${v.length})` : v}`;
};

const mutateCookie: Mutation = (d, rng, ctx) => {
  const valid = rng.pick(sessionPool(d, ctx)).cookie;
  const value = valid.slice('vmic_session='.length);
  const cookies: readonly string[] = [
    'vmic_session=garbage',
    'vmic_session=s%3Aabc.def',
    `vmic_session=${flip(value, rng)}`,
    'vmic_session=%',
    'vmic_session=%zz',
    `vmic_session=${'a'.repeat(4000)}`,
    `${valid}; vmic_session=garbage`,
    `vmic_session=garbage; ${valid}`,
    'vmic_saml_state=x',
    `vmic_session=${raw('é')}`,
    ';;;;',
    '=',
    'vmic_session',
    `__Host-vmic_session=${value}`,
    rng.pick(sessionPool(d, ctx)).cookie,
  ];
  const c = rng.pick(cookies);
  setHeader(d, 'Cookie', c);
  return `cookie ${c.length > 40 ? `${c.slice(0, 30)}…(${c.length})` : c}`;
};

const mutateCsrf: Mutation = (d, rng, ctx) => {
  if (!d.session) {
    const s = rng.pick(sessionPool(d, ctx));
    d.session = s;
    setHeader(d, 'Cookie', s.cookie);
  }
  const other = sessionPool(d, ctx).find((s) => s !== d.session)?.csrf ?? 'x';
  const kind = rng.pick([
    'missing',
    'wrong',
    'other-session',
    'in-query',
    'empty',
    'long',
    'non-ascii',
    'twice',
  ]);
  setHeader(d, 'X-CSRF-Token', undefined);
  switch (kind) {
    case 'missing':
      break;
    case 'wrong':
      setHeader(d, 'X-CSRF-Token', flip(d.session.csrf, rng));
      break;
    case 'other-session':
      setHeader(d, 'X-CSRF-Token', other);
      break;
    case 'in-query':
      d.query.push(`_csrf=${encodeURIComponent(d.session.csrf)}`);
      break;
    case 'empty':
      setHeader(d, 'X-CSRF-Token', '');
      break;
    case 'long':
      setHeader(d, 'X-CSRF-Token', 'x'.repeat(10_000));
      break;
    case 'non-ascii':
      setHeader(d, 'X-CSRF-Token', raw('é'.repeat(43)));
      break;
    case 'twice':
      setHeader(d, 'X-CSRF-Token', d.session.csrf);
      d.headers.push(['X-CSRF-Token', d.session.csrf]);
      break;
  }
  return `csrf ${kind}`;
};

const ACCEPTS: readonly string[] = [
  '',
  '*/*',
  'text/html',
  'application/json',
  'application/problem+json',
  'text/turtle',
  'application/n-quads;q=0',
  'image/png',
  'text/*;q=abc',
  ';;;,,,',
  'a/b/c',
  '*/*;q=0',
  'application/ld+json;profile="x"',
  'x'.repeat(5000),
  Array.from({ length: 300 }, (_, i) => `type/t${i};q=0.${i % 10}`).join(', '),
];

const mutateAccept: Mutation = (d, rng) => {
  const a = rng.pick(ACCEPTS);
  setHeader(d, 'Accept', a);
  if (rng.chance(0.3)) setHeader(d, 'X-Requested-With', 'XMLHttpRequest');
  return `accept ${a.length > 30 ? `${a.slice(0, 24)}…(${a.length})` : a || '(empty)'}`;
};

const RANGES: readonly string[] = [
  'bytes=0-0',
  'bytes=0-',
  'bytes=-1',
  'bytes=5-1',
  'bytes=-0',
  'bytes=0-1,2-3',
  Array.from({ length: 200 }, () => '0-1')
    .join(',')
    .replace(/^/, 'bytes='),
  'bytes=999999999999999999999-',
  'bytes=-999999999999999999999',
  'bytes=18446744073709551616-',
  'bytes=1e3-2e3',
  'bytes=a-b',
  'bytes=',
  'bytes',
  'items=0-1',
  '=0-1',
  'bytes=0-1;x',
  'bytes=0--1',
  'bytes= 1 - 2',
  'bytes=1048576-',
  'bytes=3145727-3145728',
  'bytes=0-1,-1',
  'bytes=-1,0-',
];

const mutateRange: Mutation = (d, rng) => {
  const r = rng.pick(RANGES);
  setHeader(d, 'Range', r);
  if (rng.chance(0.3))
    setHeader(
      d,
      'If-Range',
      rng.pick(['garbage', '"sha256:x"', 'Thu, 01 Jan 1970 00:00:00 GMT', 'W/"x"']),
    );
  return `range ${r.length > 30 ? `${r.slice(0, 24)}…(${r.length})` : r}`;
};

const mutateConditional: Mutation = (d, rng) => {
  const [name, value] = rng.pick([
    ['If-None-Match', '*'],
    ['If-None-Match', '"x"'],
    ['If-None-Match', 'W/"x", "y"'],
    ['If-None-Match', 'garbage'],
    ['If-None-Match', ',,,'],
    ['If-None-Match', `"${'a'.repeat(5000)}"`],
    ['If-Modified-Since', 'garbage'],
    ['If-Modified-Since', 'Thu, 01 Jan 1970 00:00:00 GMT'],
    ['If-Match', '*'],
    ['If-Unmodified-Since', 'garbage'],
    ['Cache-Control', 'no-cache'],
  ] as const);
  setHeader(d, name, value);
  return `conditional ${name}: ${value.length > 20 ? value.slice(0, 20) + '…' : value}`;
};

const mutateHeaderBytes: Mutation = (d, rng) => {
  const kind = rng.pick([
    'header-20k',
    'many-headers',
    'name-non-ascii',
    'value-non-ascii',
    'value-nul',
    'value-del',
    'obs-fold',
    'no-colon',
    'empty-name',
    'url-non-ascii',
    'url-control',
    'space-before-colon',
  ]);
  switch (kind) {
    case 'header-20k':
      d.headers.push(['X-Filler', 'a'.repeat(20_000)]);
      break;
    case 'many-headers':
      for (let i = 0; i < 2500; i++) d.headers.push([`X-Header-${i}`, 'v']);
      break;
    case 'name-non-ascii':
      d.headers.push([raw('X-Nämé'), 'x']);
      break;
    case 'value-non-ascii':
      d.headers.push(['X-Value', Buffer.from([0x80, 0xff, 0xc3, 0xa9]).toString('latin1')]);
      break;
    case 'value-nul':
      d.headers.push(['X-Value', 'a\u0000b']);
      break;
    case 'value-del':
      d.headers.push(['X-Value', 'a\u007fb']);
      break;
    case 'obs-fold':
      d.headers.push(['X-Folded', 'first\r\n second']);
      break;
    case 'no-colon':
      d.headers.push(['X-No-Colon-Here', '\u0000NOCOLON']);
      break;
    case 'empty-name':
      d.headers.push(['', 'x']);
      break;
    case 'url-non-ascii':
      d.segments.push(Buffer.from([0xff, 0xfe, 0xc3, 0xa9]).toString('latin1'));
      break;
    case 'url-control':
      d.segments.push('a\u0001b');
      break;
    case 'space-before-colon':
      d.headers.push(['X-Space ', 'x']);
      break;
  }
  return `header-bytes ${kind}`;
};

const mutateProtocol: Mutation = (d, rng) => {
  const kind = rng.pick([
    'http-1.0',
    'http-2.0',
    'http-0.9',
    'http-garbage',
    'no-host',
    'two-hosts',
    'expect-continue',
    'expect-garbage',
    'upgrade',
    'forwarded',
    'method-override',
    'origin',
    'keep-alive',
  ]);
  switch (kind) {
    case 'http-1.0':
      d.version = 'HTTP/1.0';
      break;
    case 'http-2.0':
      d.version = 'HTTP/2.0';
      break;
    case 'http-0.9':
      d.version = 'HTTP/0.9';
      break;
    case 'http-garbage':
      d.version = 'HTTX/1.1';
      break;
    case 'no-host':
      setHeader(d, 'Host', undefined);
      break;
    case 'two-hosts':
      d.headers.push(['Host', 'evil.example']);
      break;
    case 'expect-continue':
      setHeader(d, 'Expect', '100-continue');
      break;
    case 'expect-garbage':
      setHeader(d, 'Expect', 'garbage');
      break;
    case 'upgrade':
      setHeader(d, 'Connection', 'Upgrade');
      setHeader(d, 'Upgrade', rng.pick(['websocket', 'h2c', 'garbage']));
      d.mayGoUnanswered = true;
      break;
    case 'forwarded':
      setHeader(d, 'X-Forwarded-Proto', 'https');
      setHeader(d, 'X-Forwarded-For', rng.pick(['garbage', '1.2.3.4, 5.6.7.8', raw('é')]));
      setHeader(d, 'X-Forwarded-Host', 'evil.example');
      break;
    case 'method-override':
      setHeader(d, 'X-HTTP-Method-Override', 'DELETE');
      break;
    case 'origin':
      setHeader(d, 'Origin', 'http://evil.example');
      setHeader(d, 'Referer', 'http://evil.example/');
      break;
    case 'keep-alive':
      setHeader(d, 'Connection', 'keep-alive');
      break;
  }
  return `protocol ${kind}`;
};

function isRangeRoute(route: Route): boolean {
  return route.path.startsWith('/blobs') || route.path.startsWith('/feeds');
}

/** The mutations that apply to a draft, with their weights. */
function mutationsFor(d: Draft): [Mutation, number][] {
  const hasParams = d.route.path.includes('/:');
  const hasBody = d.body.length > 0 || UNSAFE.has(d.method);
  return [
    [mutatePathParam, hasParams ? 6 : 1],
    [mutatePathShape, 2],
    [mutateQuery, 3],
    [mutateMethod, 2],
    [mutateBody, hasBody ? 6 : 1],
    [mutateContentType, hasBody ? 3 : 1],
    [mutateFraming, hasBody ? 3 : 1],
    [mutateAuthorization, 3],
    [mutateCookie, 2],
    [mutateCsrf, UNSAFE.has(d.method) ? 3 : 1],
    [mutateAccept, 2],
    [mutateRange, isRangeRoute(d.route) ? 6 : 1],
    [mutateConditional, isRangeRoute(d.route) ? 2 : 1],
    [mutateHeaderBytes, 2],
    [mutateProtocol, 2],
  ];
}

// ---------------------------------------------------------------------------------------
// Serialisation

function serialise(d: Draft): { head: Buffer; body: Buffer; halfClose: boolean; target: string } {
  const base = d.target ?? (d.segments.join('/') || '/');
  const target =
    d.query.length > 0 ? `${base}${base.includes('?') ? '&' : '?'}${d.query.join('&')}` : base;
  const lines = [`${d.method} ${target} ${d.version}`];
  for (const [n, v] of d.headers) lines.push(n === '' ? `: ${v}` : `${n}: ${v}`);
  let body = d.body;
  let halfClose = false;
  const f = d.framing;
  if (f.kind === 'exact') {
    if (body.length > 0 || UNSAFE.has(d.method)) lines.push(`Content-Length: ${body.length}`);
  } else if (f.kind === 'declared') {
    lines.push(`Content-Length: ${f.value}`);
    halfClose = f.halfClose === true;
  } else if (f.kind === 'chunked') {
    if (!d.headers.some(([n]) => n.toLowerCase() === 'transfer-encoding'))
      lines.push('Transfer-Encoding: chunked');
    const chunks: Buffer[] = [];
    for (let at = 0; at < body.length; at += 4096) {
      const part = body.subarray(at, at + 4096);
      chunks.push(
        Buffer.from(`${f.broken ? 'zz' : part.length.toString(16)}\r\n`),
        part,
        Buffer.from('\r\n'),
      );
    }
    chunks.push(Buffer.from(f.broken ? '-1\r\n\r\n' : '0\r\n\r\n'));
    body = Buffer.concat(chunks);
  }
  return { head: Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body, halfClose, target };
}

/** What Node counts against its 16 KiB header limit: the URL, header names and values. */
function headerBytes(d: Draft, target: string): number {
  return d.headers.reduce((n, [name, value]) => n + name.length + value.length, target.length);
}

/** Request number `index` of the run: the same bytes for the same seed, whatever ran before. */
export function generate(ctx: FuzzContext, index: number): FuzzRequest {
  const rng = Rng.forRequest(ctx.seed, index);
  const routes = ctx.prepared.routes;
  const route = routes[index % routes.length]!;
  const endorser = endorserFor(rng);
  const segments = route.path
    .split('/')
    .map((s) =>
      s.startsWith(':') ? encodeURIComponent(validParam(s.slice(1), route, rng, ctx, endorser)) : s,
    );
  const d: Draft = {
    route,
    method: route.method,
    version: 'HTTP/1.1',
    segments,
    query: [],
    headers: [
      ['Host', `127.0.0.1:${ctx.port}`],
      ['Connection', 'close'],
      ['User-Agent', 'vmic-fuzz'],
    ],
    body: Buffer.alloc(0),
    bodyKind: 'none',
    framing: { kind: 'exact' },
    mayGoUnanswered: false,
    mutations: [],
  };
  validBody(d, rng, ctx, endorser, index);
  validCredentials(d, rng, ctx);
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const m = rng.weighted(mutationsFor(d));
    d.mutations.push(m(d, rng, ctx));
  }
  const s = serialise(d);
  return {
    index,
    route,
    method: d.method,
    target: s.target,
    head: s.head,
    body: s.body,
    halfClose: s.halfClose,
    mutations: d.mutations,
    mayGoUnanswered: d.mayGoUnanswered,
    // Node's parser allows 16 KiB of URL and headers: past that (a 70 KB path, a 20 KB
    // header, 2,500 headers) the answer is 431, or 400 when the request was already
    // broken before the limit.
    ...(headerBytes(d, s.target) > 16 * 1024 + 64 ? { expectStatus: [431, 400] } : {}),
  };
}

/** A readable, replayable description of a request for a failure report. */
export function describe(req: FuzzRequest, seed: number): string {
  const target =
    req.target.length > 120
      ? `${req.target.slice(0, 100)}…(${req.target.length} bytes)`
      : req.target;
  const body = req.body
    .subarray(0, 120)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
  return (
    `#${req.index} (VMIC_FUZZ_SEED=${seed} VMIC_FUZZ_ONLY=${req.index}) route ${req.route.method} ${req.route.path}: ` +
    `${req.method} ${JSON.stringify(target)} [${req.mutations.join('; ')}]` +
    (req.body.length ? ` body ${req.body.length} bytes: ${JSON.stringify(body)}` : '')
  );
}
