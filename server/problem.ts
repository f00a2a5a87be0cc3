import crypto from 'node:crypto';
import http from 'node:http';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { REASON_CODES, VmicError, type ErrorCode } from '../pki/errors.ts';

/** Codes the HTTP layer adds to the domain's own (negotiation and ranges have no domain meaning). */
export type ProblemCode = ErrorCode | 'NOT_ACCEPTABLE' | 'RANGE_NOT_SATISFIABLE';

const STATUS: Partial<Record<ProblemCode, number>> = {
  BAD_REQUEST: 400,
  MALFORMED: 400,
  NOT_CANONICAL: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NOT_ACCEPTABLE: 406,
  CONFLICT: 409,
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
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="vmic"');
  // A problem is never cacheable: a 404 for a feed must not outlive its first publish.
  res.setHeader('Cache-Control', 'no-store');
  res.removeHeader('ETag');
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

export const notFound: RequestHandler = (req, res) => {
  sendProblem(res, 'NOT_FOUND', `no route for ${req.method} ${req.path}`);
};

export type ErrorLog = (line: string) => void;

/**
 * Last error handler. Domain errors keep their code and message; anything else becomes a
 * 500 whose body says nothing about internals (threat: information disclosure through
 * stack traces or SQL messages) and is logged under the request id instead.
 */
export function problemHandler(log: ErrorLog): ErrorRequestHandler {
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof VmicError && statusOf(err.code) < 500) {
      sendProblem(res, err.code, err.message, { rule: err.rule });
      return;
    }
    const id = String(res.locals.requestId ?? '');
    log(
      `vmic: request ${id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    sendProblem(res, 'INTERNAL', `internal error (request id ${id})`);
  };
}
