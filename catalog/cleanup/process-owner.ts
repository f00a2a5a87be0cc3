import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

/**
 * Who owns a temporary file or a running record: a token naming a process in a way that
 * survives pid reuse. Two processes share one instance (`serve` and a cron `vmic import`),
 * so start-up cleanup may remove only what belongs to a process that is gone, and "pid N
 * is alive" alone is not enough: after a crash and a reboot, or simply after a while, N
 * may belong to another program.
 *
 * Token: `<pid>.<start>.<boot>`, where `start` is the process start time in clock ticks
 * since boot (Linux /proc/PID/stat, field 22) and `boot` the first 8 hex digits of the
 * kernel's boot id. Elsewhere both are `0`, and liveness falls back to the pid alone.
 */
export type OwnerToken = string;

const TOKEN = /^(\d{1,10})\.(\d{1,20})\.([0-9a-f]{8})$/;

let own: OwnerToken | undefined;

/** This process's token (computed once). */
export function currentOwner(): OwnerToken {
  own ??= ownerOf(process.pid) ?? `${process.pid}.0.00000000`;
  return own;
}

/** The token of a running process, or undefined when it is not running. */
export function ownerOf(pid: number): OwnerToken | undefined {
  if (!pidExists(pid)) return undefined;
  return `${pid}.${startTicks(pid) ?? '0'}.${bootId() ?? '00000000'}`;
}

let host: string | undefined;

/**
 * This machine, as 8 hex digits of the SHA-256 of its host name. An owner token is
 * meaningful only on its own host (pids and boot ids are per kernel; a container's pid
 * namespace has its own host name by default), so what replicas share (bucket keys,
 * migration records) names the host beside the token: a token is checked only where it
 * was written, and elsewhere only age decides (threat: host A's cleanup taking host B's
 * live pid for a dead one, since B's boot id is not A's).
 */
export function hostTag(): string {
  host ??= crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
  return host;
}

export function isOwnerToken(text: string): boolean {
  return TOKEN.test(text);
}

/**
 * Whether the process named by the token is still running. Unknown parts (`0`) are not
 * evidence of death: a token that cannot be checked fully counts as alive when its pid
 * is, so that cleanup never removes a live process's file.
 */
export function ownerAlive(token: OwnerToken): boolean {
  const m = TOKEN.exec(token);
  if (!m) return false;
  const [, pidText, start, boot] = m as unknown as [string, string, string, string];
  const pid = Number(pidText);
  if (boot !== '00000000') {
    const now = bootId();
    if (now !== undefined && now !== boot) return false; // the machine rebooted since
  }
  if (!pidExists(pid)) return false;
  if (start !== '0') {
    const actual = startTicks(pid);
    if (actual !== undefined && actual !== start) return false; // pid reused
  }
  return true;
}

function pidExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function startTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19]; // field 22 overall; fields[0] is field 3 (state)
    return ticks && /^\d+$/.test(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

let boot: string | null | undefined;

function bootId(): string | undefined {
  if (boot === undefined) {
    try {
      const id = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').replace(/-/g, '');
      boot = /^[0-9a-f]{8}/.test(id) ? id.slice(0, 8) : null;
    } catch {
      boot = null;
    }
  }
  return boot ?? undefined;
}
