import { VmicError } from '../../errors/index.ts';
import { normaliseDn } from './feed-urls.ts';

/**
 * `--expect-signers K` with `--expect-subject DN` repeated: the pinned subjects (the first
 * is the publisher the catalog names) and how many distinct ones must sign. Without it the
 * subscription expects one signer, and a catalog with several is refused as before.
 */
export function signerColumns(
  input: { expectSigners?: number | undefined; coSigners?: readonly string[] | undefined },
  expectSubject: string,
  format: 'rdf' | 'hepix',
): { expect_signers: number | null; expect_subjects: string | null } {
  const others = (input.coSigners ?? []).map((dn) => normaliseDn(dn, '--expect-subject'));
  if (input.expectSigners === undefined) {
    if (others.length)
      throw new VmicError('BAD_REQUEST', 'several --expect-subject need --expect-signers K');
    return { expect_signers: null, expect_subjects: null };
  }
  if (format === 'hepix')
    throw new VmicError('BAD_REQUEST', 'a HEPiX image list has one signer: no --expect-signers');
  const subjects = [expectSubject, ...others];
  if (new Set(subjects.map((d) => d.toLowerCase())).size !== subjects.length)
    throw new VmicError('BAD_REQUEST', 'a subject is pinned twice');
  const k = input.expectSigners;
  if (!Number.isSafeInteger(k) || k < 1 || k > subjects.length || subjects.length > 16)
    throw new VmicError(
      'BAD_REQUEST',
      `--expect-signers must be between 1 and the ${subjects.length} subjects pinned (at most 16)`,
    );
  return { expect_signers: k, expect_subjects: JSON.stringify(subjects) };
}
