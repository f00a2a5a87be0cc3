import type { Kysely } from 'kysely';

/**
 * Co-signed catalogs (issue 18 item 4, threshold signatures as TUF roles have): an
 * endorser may name co-signers, each with a certificate and either a key held here
 * (sealed, or in a PKCS#11 token) or none (`external`: the signer signs elsewhere and
 * uploads a detached CMS), and a threshold K of signatures a catalog needs, its own
 * included (1 is a catalog signed by the endorser alone, as before).
 *
 * With K > 1 a publish makes a pending catalog: its canonical N-Quads in the blob store
 * (with a `blobs` row, so no sweep takes them), the signed HEPiX list, the sequence it
 * reserves, and one row per signature held. At most one pending catalog per endorser
 * (unique endorser_id): publish refuses while one exists, so no other version can take
 * its sequence, and nothing of it is served until the K-th signature publishes it.
 */
export async function up0021(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('endorsers')
    .addColumn('signature_threshold', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .createTable('endorser_cosigners')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('endorser_id', 'integer', (c) => c.notNull().references('endorsers.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('chain_pem', 'text', (c) => c.notNull())
    .addColumn('sealed_key', 'blob', (c) => c.notNull())
    .addColumn('key_uri', 'text')
    .addColumn('external', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('endorser_cosigners_name', ['endorser_id', 'name'])
    .execute();
  await db.schema
    .createTable('pending_catalogs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('endorser_id', 'integer', (c) => c.notNull().unique().references('endorsers.id'))
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('threshold', 'integer', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('image_count', 'integer', (c) => c.notNull())
    .addColumn('nquads_sha256', 'text', (c) => c.notNull())
    .addColumn('nquads_size', 'integer', (c) => c.notNull())
    .addColumn('image_list', 'blob', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('pending_catalog_signatures')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('pending_id', 'integer', (c) => c.notNull().references('pending_catalogs.id'))
    // The endorser's own name for its signature, else the co-signer's name.
    .addColumn('signer', 'text', (c) => c.notNull())
    .addColumn('cosigner_id', 'integer', (c) => c.references('endorser_cosigners.id'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('certificate_sha256', 'text', (c) => c.notNull())
    // A detached CMS SignedData with this one SignerInfo and its certificates, DER.
    .addColumn('cms', 'blob', (c) => c.notNull())
    .addColumn('signed_by', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('pending_signatures_one_per_signer', ['pending_id', 'signer'])
    .execute();
  // One signature per certificate too: two co-signer names sharing one key count once.
  await db.schema
    .createIndex('pending_signatures_one_per_certificate')
    .on('pending_catalog_signatures')
    .columns(['pending_id', 'certificate_sha256'])
    .unique()
    .execute();
}
