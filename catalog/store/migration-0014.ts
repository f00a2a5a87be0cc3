import type { Kysely } from 'kysely';

/**
 * State that several `vmic serve` replicas on one database share, which one process used
 * to keep in memory or in a file of its data directory (issue 15):
 *
 * - `run_leases`: who runs the import, the fetch or the scheduled import now
 *   (catalog/site/leases.ts). A lease expires, so a crashed holder does not block the
 *   next run for ever.
 * - `saml_requests`: the ids of SAML AuthnRequests sent and not yet answered
 *   (server/web/saml-request-cache.ts), so that the IdP's answer may reach any replica.
 * - `rate_limit_buckets`: the token bucket of each client address for the peer transfer
 *   endpoint (server/api/transfer-rate-limit.ts), so that N replicas do not grant N times
 *   the limit.
 * - `web_jobs`: the web admin's background runs ("Import now", "Fetch now") as their pages
 *   show them (catalog/site/job-rows.ts), so that the page, polled through any replica,
 *   finds the run that one replica is doing.
 *
 * Times are ISO 8601 UTC strings as elsewhere (they compare in order as text); the rate
 * buckets keep milliseconds as a double, because their refill is arithmetic in SQL.
 */
export async function up0014(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    // host, pid and a random part: unique per acquisition, so a process never mistakes
    // another's lease (or its own earlier one) for the one it holds.
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('saml_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('saml_requests_expires_at')
    .on('saml_requests')
    .column('expires_at')
    .execute();
  await db.schema
    .createTable('rate_limit_buckets')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('updated_ms', 'double precision', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('rate_limit_buckets_updated_ms')
    .on('rate_limit_buckets')
    .column('updated_ms')
    .execute();
  await db.schema
    .createTable('web_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_key', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    // JSON of JobProgress, of the result and of { code, message }.
    .addColumn('progress', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    // Renewed while the run goes on: a row whose heartbeat stopped is a run whose replica
    // died, shown as interrupted rather than running for ever.
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('web_jobs_key_state')
    .on('web_jobs')
    .columns(['job_key', 'state'])
    .execute();
}
