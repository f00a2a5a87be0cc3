import express, { type RequestHandler } from 'express';
import { VmicError } from '../../errors/index.ts';
import { ENDORSER_NAME } from '../../catalog/names.ts';
import { requireRole } from '../auth.ts';

/*
 * Who may do what on the site half (docs/design.md §10). Endorser roles have
 * no business with a site's trust, subscriptions or approvals, so every site route names
 * its roles explicitly; only the deploy gate is open to any authenticated principal.
 */

/** Reading site state: subscriptions, images, approvals, trust, policy. */
export const siteReader: RequestHandler = requireRole('admin', 'site-approver', 'auditor');

/** Managing trust, subscriptions and policy, and running import and fetch. */
export const siteAdmin: RequestHandler = requireRole('admin');

/** Approving and unapproving images and endorsers. */
export const siteApprover: RequestHandler = requireRole('admin', 'site-approver');

/** Subscription names share the endorser-name alphabet (`subscribe` enforces it). */
export function subscriptionParam(value: unknown): string {
  if (typeof value !== 'string' || !ENDORSER_NAME.test(value))
    throw new VmicError(
      'BAD_REQUEST',
      'subscription name must be 1-64 lowercase letters, digits or -',
    );
  return value;
}

/**
 * Plain-text bodies (PEM), bounded like JSON bodies (threat: endless data). Used after
 * authorisation, so an anonymous caller never makes the server read anything.
 */
export function textBody(limitBytes: number, types: string[]): RequestHandler {
  const parse = express.text({ limit: limitBytes, type: types, defaultCharset: 'utf-8' });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { type?: string; status?: number };
      if (e.type === 'entity.too.large')
        return next(new VmicError('TOO_LARGE', `body is larger than ${limitBytes} bytes`));
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
        return next(
          new VmicError('BAD_REQUEST', 'request body cannot be read as text', { cause: err }),
        );
      return next(err);
    });
  };
}
