import { VmicError } from '../../../errors/index.ts';
import { imageStates, type ImageState } from '../../../catalog/site/health-rules.ts';

/**
 * The states the site images page filters by (`?state=`), as the home dashboard links to
 * them. Derived from the gate's own decision for each row, so the filter and `vmic check`
 * never disagree. A row may be in several (awaiting approval and not fetched).
 */
export const IMAGE_STATES = {
  'awaiting-approval': 'Awaiting approval',
  quarantined: 'Quarantined',
  'not-fetched': 'Not fetched',
  deployable: 'Deployable',
} as const satisfies Record<ImageState, string>;

const isState = (s: string): s is ImageState => Object.hasOwn(IMAGE_STATES, s);

/**
 * A row's states, by the same rule as the dashboard's counts (catalog/site/health-rules.ts),
 * so that a count and the list it links to never disagree.
 */
export function imageStatesOf(
  d: { reasons: readonly { code: string }[] },
  fetchScope: 'endorsed' | 'approved',
): ImageState[] {
  return imageStates(
    d.reasons.map((r) => r.code),
    fetchScope,
  );
}

/** `?state=`: absent or empty for every image; anything unknown is a 400 page. */
export function stateParam(v: unknown): ImageState | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'string' && isState(v)) return v;
  throw new VmicError(
    'BAD_REQUEST',
    `state must be one of ${Object.keys(IMAGE_STATES).join(', ')}`,
  );
}
