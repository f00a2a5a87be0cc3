/**
 * `[epoch:]main[-tail]`, the shape Debian (upstream-revision) and RPM (version-release)
 * versions share: the epoch is the digits before the first colon (0 when absent), the
 * tail what follows the last hyphen ('' when there is none).
 */
export function splitVersion(text: string): { epoch: number; main: string; tail: string } {
  const v = text.trim();
  const colon = v.indexOf(':');
  let epoch = 0;
  let rest = v;
  if (colon > 0 && /^[0-9]+$/.test(v.slice(0, colon))) {
    epoch = Number(v.slice(0, colon));
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash > 0
    ? { epoch, main: rest.slice(0, dash), tail: rest.slice(dash + 1) }
    : { epoch, main: rest, tail: '' };
}
