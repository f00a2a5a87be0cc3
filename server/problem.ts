import crypto from 'node:crypto';
import http from 'node:http';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { REASON_CODES, VmicError, type ErrorCode } from '../errors/index.ts';
import { closeUnreadBodyAfterAnswer } from './lingering-close.ts';

/** Codes the HTTP layer adds to the domain's own (negotiation and ranges have no domain meaning). */
export type ProblemCode =
  | ErrorCode
  | 'NOT_ACCEPTABLE'
  | 'RANGE_NOT_SATISFIABLE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'HEADERS_TOO_LARGE'
  | 'EXPECTATION_FAILED'
  | 'TOO_MANY_REQUESTS';

const STATUS: Partial<Record<ProblemCode, number>> = {
  BAD_REQUEST: 400,
  MALFORMED: 400,
  NOT_CANONICAL: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  CONFLICT: 409,
  // The instance lacks the configuration a request needs (e.g. no site identity to receive
  // a transfer): the caller's request cannot succeed here, which is not a server bug.
  CONFIG: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EXPECTATION_FAILED: 417,
  TOO_MANY_REQUESTS: 429,
  HEADERS_TOO_LARGE: 431,
  RANGE_NOT_SATISFIABLE: 416,
  EQUIVOCATION: 409,
  TOO_LARGE: 413,
  HASH_MISMATCH: 422,
};

const VERIFICATION_CODES: ReadonlySet<string> = new Set(REASON_CODES);

/** The one mapping from a stable code to an HTTP status; anything unknown is a 500. */
export function statusOf(code: ProblemCode): number {
  return STATUS[code] ?? (VERIFICATION_CODES.has(code) ? 422 : 500);
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  rule?: string;
  requestId: string;
}

/** Assigns each request an id that appears in its problem bodies and in the server log. */
export const requestId: RequestHandler = (_req, res, next) => {
  const id = crypto.randomUUID();
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};

export function sendProblem(
  res: Response,
  code: ProblemCode,
  detail: string,
  extra: { rule?: string | undefined } = {},
): void {
  const status = statusOf(code);
  const body: Problem = {
    type: `https://w3id.org/vmic/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: http.STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(extra.rule ? { rule: extra.rule } : {}),
    requestId: String(res.locals.requestId ?? ''),
  };
  // For the request's log line: a refusal is logged with its code.
  res.locals.problem = { code, ...(extra.rule ? { rule: extra.rule } : {}) };
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="vmic"');
  // A problem is never cacheable: a 404 for a feed must not outlive its first publish.
  res.setHeader('Cache-Control', 'no-store');
  closeIfBodyUnread(res);
  res.removeHeader('ETag');
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

/**
 * A refusal that leaves request bytes unread (a 413 for a body that declares 10 GB, a 401
 * before an upload) closes the connection once answered. Otherwise Node reads and
 * discards the rest of the body to keep the connection alive, so the client waits for
 * its answer as long as the bytes take (threat: a refused body still costs its size).
 */
export function closeIfBodyUnread(res: Response): void {
  if (res.req.complete) return;
  res.setHeader('Connection', 'close');
  closeUnreadBodyAfterAnswer(res.req, res);
}

export const notFound: RequestHandler = (req, res) => {
  sendProblem(res, 'NOT_FOUND', `no route for ${req.method} ${req.path}`);
};

/** A sink for whole log lines: `AppOptions.log` receives the error lines (server/logging.ts). */
export type ErrorLog = (line: string) => void;

/** Statuses the framework and its parsers raise for bad input, as stable problem codes. */
const CLIENT_STATUS_CODES: Record<number, ProblemCode> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  417: 'EXPECTATION_FAILED',
  431: 'HEADERS_TOO_LARGE',
};

/**
 * A 4xx raised by Express, its router or a body parser (`http-errors` style: `status`
 * and `expose`), e.g. a malformed percent-encoding in a path parameter. These are the
 * client's mistakes: they keep their status as problem+json, never a 500.
 */
export function clientErrorOf(err: unknown): { code: ProblemCode; detail: string } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const code = CLIENT_STATUS_CODES[status] ?? 'BAD_REQUEST';
  const detail =
    err instanceof URIError
      ? 'the request path is not valid percent-encoded UTF-8'
      : e.expose === true && typeof e.message === 'string'
        ? e.message
        : (http.STATUS_CODES[status] ?? 'bad request');
  return { code, detail };
}

/**
 * The client went away: it closed its side in the middle of a body (Node destroys the
 * request with ECONNRESET "aborted", which a handler reading the body passes on), or
 * before a file was sent (`res.sendFile` fails with ECONNABORTED "Request aborted"). That
 * is the client's doing, not a bug, and must not be logged as a server error (threat: log
 * noise that buries real failures; found by the fuzz test).
 */
function clientWentAway(err: unknown, req: Request): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    (code === 'ECONNABORTED' && req.socket.destroyed) ||
    (code === 'ECONNRESET' && req.destroyed && !req.complete)
  );
}

/**
 * The error in one line, for the message (threat: log injection and unreadable multi-line
 * traces per request); the whole stack goes in the line's `err` field, JSON-escaped.
 */
function oneLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err).replace(/\s+/g, ' ');
  const frame = err.stack?.split('\n').find((l) => l.trim().startsWith('at '));
  return `${err.name}: ${err.message}${frame ? ` ${frame.trim()}` : ''}`.replace(/\s+/g, ' ');
}

/**
 * Last error handler. Domain errors keep their code and message; anything else becomes a
 * 500 whose body says nothing about internals (threat: information disclosure through
 * stack traces or SQL messages) and is logged under the request id instead.
 */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  const log = (requestId: string, err: unknown, msg: string) =>
    logger.error({ requestId, err: err instanceof Error ? err : { message: String(err) } }, msg);
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const id = String(res.locals.requestId ?? '');
    if (res.headersSent) {
      // Too late for a problem: the answer is cut off. One line, like any other failure,
      // rather than Express's default of the whole stack trace on stderr.
      if (!clientWentAway(err, req))
        log(id, err, `request ${id} failed mid-answer: ${oneLine(err)}`);
      res.destroy();
      return;
    }
    if (err instanceof VmicError && statusOf(err.code) < 500) {
      sendProblem(res, err.code, err.message, { rule: err.rule });
      return;
    }
    const client = clientErrorOf(err);
    if (client) {
      sendProblem(res, client.code, client.detail);
      return;
    }
    if (clientWentAway(err, req)) {
      if (!res.socket?.destroyed)
        sendProblem(res, 'BAD_REQUEST', 'the request was cut off before its end');
      return;
    }
    log(id, err, `request ${id} failed: ${oneLine(err)}`);
    sendProblem(res, 'INTERNAL', `internal error (request id ${id})`);
  };
}
