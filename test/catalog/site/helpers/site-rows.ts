import type { Kysely } from 'kysely';
import type { Database } from '../../../../catalog/store/schema.ts';

const AT = '2030-01-01T00:00:00.000Z';

/** Inserts a subscription row directly (stands in for `vmic subscribe` in these tests). */
export async function addSubscription(
  db: Kysely<Database>,
  name: string,
  opts: { enabled?: boolean } = {},
): Promise<number> {
  const row = await db
    .insertInto('subscriptions')
    .values({
      name,
      url: `https://${name}.example/feeds/${name}/catalog.p7m`,
      expect_subject: `CN=${name}`,
      expect_issuer: null,
      enabled: opts.enabled === false ? 0 : 1,
      etag: null,
      created_at: AT,
      last_checked_at: null,
      last_success_at: null,
      last_error_code: null,
      last_error_message: null,
      last_error_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Inserts a site image row directly (stands in for a verified import). */
export async function addSiteImage(
  db: Kysely<Database>,
  subscriptionId: number,
  image: {
    identifier: string;
    sha256: string;
    byteSize: number;
    url: string;
    status?: 'endorsed' | 'withdrawn';
  },
): Promise<void> {
  await db
    .insertInto('site_images')
    .values({
      subscription_id: subscriptionId,
      identifier: image.identifier,
      iri: `urn:test:${image.identifier}`,
      title: image.identifier,
      description: null,
      version: null,
      os_family: null,
      os_name: null,
      os_version: null,
      arch: null,
      hypervisor: null,
      format: null,
      byte_size: image.byteSize,
      sha256: image.sha256,
      download_url: image.url,
      status: image.status ?? 'endorsed',
      first_sequence: 1,
      last_sequence: 1,
      updated_at: AT,
    })
    .execute();
}

export async function addApproval(
  db: Kysely<Database>,
  subscriptionId: number,
  approval: { kind: 'image'; sha256: string } | { kind: 'endorser' },
): Promise<void> {
  await db
    .insertInto('approvals')
    .values({
      subscription_id: subscriptionId,
      kind: approval.kind,
      identifier: null,
      sha256: approval.kind === 'image' ? approval.sha256 : null,
      approved_by: 'test',
      approved_at: AT,
      revoked_by: null,
      revoked_at: null,
    })
    .execute();
}
