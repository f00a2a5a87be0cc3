import { VmicError } from '../../errors/index.ts';

/**
 * What the operator should run here when a peer's certificate is refused because the peer
 * moved to another CA (a site identity rotated to a new CA needs this site's explicit
 * action, issue 18): trust the new CA, then pin the peer again. Peers have no `repin`: the
 * pin is set again by adding the peer again (`peer remove`, `peer add`), which learns the
 * new CA's key on the next verified transfer. Only said where it can be the cause; the
 * code and rule of the refusal stay.
 */
export function peerAdvice(
  e: unknown,
  peer: { name: string; subject: string; url?: string | undefined },
): string | undefined {
  if (!(e instanceof VmicError)) return undefined;
  const source = peer.url ? `--url ${peer.url}` : '--cert NEW-CERT.pem';
  const again = `vmic peer remove ${peer.name} && vmic peer add ${peer.name} ${source} --expect-subject '${peer.subject}'`;
  if (e.code === 'CHAIN_UNTRUSTED')
    return `if peer ${peer.name} moved to a new CA you trust, add it here (vmic trust add NEW-CA.pem) and pin the peer again (${again})`;
  if (e.code === 'SUBJECT_MISMATCH' && e.rule === 'peer.issuer-key')
    return `if peer ${peer.name} moved to this CA on purpose, pin the peer again (${again})`;
  if (e.code === 'SUBJECT_MISMATCH' && e.rule === 'peer.issuer')
    return `if peer ${peer.name} moved to this CA on purpose, add the peer again with the new issuer (${again} --expect-issuer 'NEW-CA-DN')`;
  return undefined;
}

/** The refusal `e` with the advice for peer `peer` appended, code and rule unchanged. */
export function withPeerAdvice(
  e: unknown,
  peer: { name: string; subject: string; url?: string | undefined },
): unknown {
  const advice = peerAdvice(e, peer);
  if (!advice || !(e instanceof VmicError)) return e;
  return new VmicError(e.code, `${e.message}; ${advice}`, {
    ...(e.rule !== undefined ? { rule: e.rule } : {}),
    cause: e,
  });
}
