/** Structured logs: one JSON line per request, refusals with their code, no secrets. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, parseLogLevel } from '../../server/logging.ts';
import { bearer } from './harness.ts';
import { parsed, startObserved } from './metrics-helpers.ts';

describe('request logs', () => {
  test('one line per request with its id, method, route, status and duration; a refusal carries its code', async () => {
    const s = await startObserved();
    try {
      const ok = await fetch(`${s.url}/healthz`);
      const refused = await fetch(`${s.url}/api/v1/site/images`);
      assert.equal(refused.status, 401);
      const lines = parsed(s.lines).filter((l) => l.msg === 'request');
      const line = lines.find((l) => l.requestId === ok.headers.get('x-request-id'));
      assert.ok(line, 'the request id of the answer is in a log line');
      assert.equal(line.method, 'GET');
      assert.equal(line.route, '/healthz');
      assert.equal(line.status, 200);
      assert.equal(line.level, 'info');
      assert.equal(typeof line.durationMs, 'number');
      assert.equal(typeof line.time, 'string');
      const refusal = lines.find((l) => l.requestId === refused.headers.get('x-request-id'));
      assert.equal(refusal?.status, 401);
      assert.equal(refusal?.code, 'UNAUTHENTICATED');
      assert.equal(refusal?.route, '/api/v1/site/images');
      assert.deepEqual(s.errors, [], 'refusals are not errors');
    } finally {
      await s.close();
    }
  });

  test('tokens, cookies and query strings never reach the log', async () => {
    const s = await startObserved();
    try {
      const token = await s.token('auditor');
      await fetch(`${s.url}/api/v1/site/images?secret=q-s3cret`, {
        headers: { ...bearer(token), cookie: 'vmic.sid=c00kie-s3cret' },
      });
      await fetch(`${s.url}/metrics`, { headers: bearer(`${token}x`) });
      assert.ok(s.lines.length >= 2);
      const all = s.lines.join('\n');
      assert.ok(!all.includes(token), 'no bearer token in the log');
      assert.doesNotMatch(all, /c00kie-s3cret|q-s3cret/);
    } finally {
      await s.close();
    }
  });

  test('a 500 is one error line, with the request id and the error, in both sinks', async () => {
    const s = await startObserved();
    try {
      await s.inst.store.db.schema.dropTable('subscriptions').execute();
      const res = await fetch(`${s.url}/api/v1/site/subscriptions`, {
        headers: bearer(await s.token('admin')),
      });
      assert.equal(res.status, 500);
      const id = res.headers.get('x-request-id') ?? '';
      assert.equal(s.errors.length, 1);
      const [error] = parsed(s.errors);
      assert.equal(error?.level, 'error');
      assert.equal(error?.requestId, id);
      assert.match(String(error?.msg), new RegExp(`request ${id} failed: .*subscriptions`));
      assert.match(JSON.stringify(error?.err), /no such table: subscriptions/);
      assert.ok(s.lines.includes(s.errors[0]!), 'the full log has the error line too');
    } finally {
      await s.close();
    }
  });
});

describe('the logger', () => {
  const capture = (opts: Parameters<typeof createLogger>[0]) => {
    const lines: string[] = [];
    const errors: string[] = [];
    const logger = createLogger({
      logStream: (l) => lines.push(l),
      log: (l) => errors.push(l),
      ...opts,
    });
    return { logger, lines, errors };
  };

  test('redacts Authorization, cookies, tokens and keys logged by mistake', () => {
    const { logger, lines } = capture({ logLevel: 'info' });
    logger.info(
      {
        headers: { authorization: 'Bearer h-s3cret', cookie: 'sid=c-s3cret' },
        req: { headers: { authorization: 'Bearer r-s3cret' } },
        token: 't-s3cret',
        endorser: { keyPem: '-----BEGIN PRIVATE KEY----- k-s3cret' },
      },
      'oops',
    );
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, /s3cret/);
    assert.match(lines[0]!, /\[redacted\]/);
  });

  test('the level: VMIC_LOG_LEVEL by default, errors always reach the error sink', () => {
    const saved = process.env.VMIC_LOG_LEVEL;
    process.env.VMIC_LOG_LEVEL = 'warn';
    try {
      const { logger, lines } = capture({});
      logger.info('quiet');
      logger.warn('heard');
      assert.deepEqual(
        parsed(lines).map((l) => l.msg),
        ['heard'],
      );
    } finally {
      if (saved === undefined) delete process.env.VMIC_LOG_LEVEL;
      else process.env.VMIC_LOG_LEVEL = saved;
    }
    const silent = capture({ logLevel: 'silent' });
    silent.logger.warn('dropped');
    silent.logger.error('kept');
    assert.deepEqual(silent.lines, []);
    assert.deepEqual(
      parsed(silent.errors).map((l) => l.msg),
      ['kept'],
    );
    assert.throws(() => parseLogLevel('loud'), /log level must be one of/);
  });
});
