import net from 'node:net';

/** Loopback addresses: only this machine can connect to a server bound to one of them. */
const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether `--host` only accepts connections from this machine. Anything else (a wildcard
 * such as 0.0.0.0 or ::, a LAN address, a host name other than localhost) counts as
 * reachable from the network: the safe answer when we cannot tell.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const family = net.isIP(host);
  if (family === 4) return LOOPBACK.check(host, 'ipv4');
  // BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 subnet too.
  if (family === 6) return LOOPBACK.check(host, 'ipv6');
  return false;
}

export interface DemoLogin {
  /** Whether `/login` offers the passwordless local sign-in. */
  offered: boolean;
  /** One paragraph for stderr, when the operator should know about the choice. */
  notice: string | undefined;
}

/**
 * The demo's sign-in takes any role, admin included, without a password. On a loopback
 * address that is a convenience; on an address others can reach it would hand the
 * instance to anyone on the network (threat: a demo started with `--host 0.0.0.0` by
 * accident). So it is offered there only when asked for by name.
 */
export function demoLogin(host: string, insecure: boolean): DemoLogin {
  if (isLoopbackHost(host)) return { offered: true, notice: undefined };
  if (!insecure)
    return {
      offered: false,
      notice:
        `vmic demo: the local development sign-in (any role, admin included, no password) ` +
        `is OFF, because --host ${host} is not a loopback address and anyone who can reach ` +
        `this port could sign in with it. The feeds, blobs and API work as usual. To use the ` +
        `web admin, listen on 127.0.0.1 (the default) and reach it through an SSH tunnel, ` +
        `or configure single sign-on in web.json; on a network where everyone may be admin, ` +
        `pass --insecure-demo-login to offer it anyway.\n`,
    };
  return {
    offered: true,
    notice:
      `vmic demo: WARNING: --insecure-demo-login: the local development sign-in (any role, ` +
      `admin included, no password) is offered on --host ${host}, which is not a loopback ` +
      `address: anyone who can reach this port can sign in as admin.\n`,
  };
}
