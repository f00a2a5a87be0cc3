import crypto from 'node:crypto';
import { currentOwner, hostTag, ownerAlive } from '../../cleanup/process-owner.ts';

/**
 * How long a temporary key (or an unfinished multipart upload) of another host may exist
 * before start-up cleanup removes it. A key cannot tell whether its writer on another
 * machine is alive, so only age decides there: a day is longer than any upload of the
 * largest allowed image at a slow link, and a key that old is what a crash left.
 */
export const TEMP_GRACE_MS = 24 * 60 * 60_000;

/**
 * `<host>_<owner>_<uuid>.part`: `host` is a digest of this machine's host name, `owner`
 * the process token (pid, start time, boot id; process-owner.ts). Replicas share the
 * bucket, and a pid is meaningful only on its own host (in a container, in its own pid
 * namespace, whose host name differs by default), so a key is swept at once only when it
 * names this host and a process here that is gone; any other one waits for TEMP_GRACE_MS.
 */
const OWNED = /^([0-9a-f]{8})_(\d{1,10}\.\d{1,20}\.[0-9a-f]{8})_[0-9a-f-]{36}\.part$/;

export function temporaryKeyName(): string {
  return `${hostTag()}_${currentOwner()}_${crypto.randomUUID()}.part`;
}

/**
 * Whether a temporary key is a crash's leftover: its writer is a process of this host
 * that is gone, or it is older than the grace period (a writer elsewhere, or a name vmic
 * does not write).
 */
export function isDeadTemporary(
  name: string,
  modified: Date | undefined,
  now: Date,
  alive: (owner: string) => boolean = ownerAlive,
): boolean {
  const m = OWNED.exec(name);
  if (m && m[1] === hostTag() && !alive(m[2]!)) return true;
  return modified !== undefined && now.getTime() - modified.getTime() > TEMP_GRACE_MS;
}
