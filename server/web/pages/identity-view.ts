import { renewCommand } from '../../../catalog/site/health-identities.ts';
import type { IdentityHealth } from '../../../catalog/site/health-types.ts';

/*
 * A certificate this instance signs with (an endorser's, the site identity), as the pages
 * show it: its expiry date, and a badge within 30 days (warning) or once expired (error),
 * with the command that replaces it (issue 18, rotation). macros.njk `certificateExpiry`.
 */
export function identityView(i: IdentityHealth) {
  const level: 'ok' | 'warning' | 'error' = i.marks.includes('expired')
    ? 'error'
    : i.marks.includes('near-expiry')
      ? 'warning'
      : 'ok';
  return {
    ...i,
    level,
    date: i.notAfter.slice(0, 10),
    badge:
      level === 'error'
        ? 'Certificate expired'
        : level === 'warning'
          ? 'Certificate expires within 30 days'
          : undefined,
    renew: level === 'ok' ? undefined : renewCommand(i),
  };
}

export type IdentityView = ReturnType<typeof identityView>;
