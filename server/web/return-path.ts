/**
 * Where to go after sign-in: a path on this server only (threat: an open redirect that
 * sends a freshly signed-in user to a look-alike site). Anything else becomes `/`.
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return '/';
  // One leading slash, not `//host` or `/\host` (which browsers read as another host).
  if (!/^\/(?![/\\])/.test(value)) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  return value;
}
