import type { Migration } from 'kysely';
import { up0001 } from './migration-0001.ts';
import { up0002 } from './migration-0002.ts';
import { up0003 } from './migration-0003.ts';
import { up0004 } from './migration-0004.ts';
import { up0005 } from './migration-0005.ts';
import { up0006 } from './migration-0006.ts';
import { up0007 } from './migration-0007.ts';
import { up0008 } from './migration-0008.ts';
import { up0009 } from './migration-0009.ts';
import { up0010 } from './migration-0010.ts';
import { up0011 } from './migration-0011.ts';
import { up0013 } from './migration-0013.ts';
import { up0012 } from './migration-0012.ts';
import { up0014 } from './migration-0014.ts';
import { up0015 } from './migration-0015.ts';
import { up0016 } from './migration-0016.ts';
import { up0017 } from './migration-0017.ts';
import { up0018 } from './migration-0018.ts';
import { up0019 } from './migration-0019.ts';
import { up0020 } from './migration-0020.ts';
import { up0021 } from './migration-0021.ts';
import { up0022 } from './migration-0022.ts';
import { up0023 } from './migration-0023.ts';

/*
 * Schema migrations, append-only. Written with kysely's schema builder so that the same
 * migrations run on SQLite and PostgreSQL (docs/design.md §9: the scale-out step must not
 * rewrite the store).
 */
export const migrations: Record<string, Migration> = {
  '0001-endorser-catalogs': { up: up0001 },
  '0002-site': { up: up0002 },
  '0003-hepix': { up: up0003 },
  '0004-migrations': { up: up0004 },
  '0005-web-sessions': { up: up0005 },
  // Site freshness: a feed answering 304 records when it was last checked unchanged.
  '0006-site-freshness': { up: up0006 },
  // Issuer pins learned on first use, for subscriptions.
  '0007-issuer-pins': { up: up0007 },
  // Crash safety and refused transfers for migrations.
  '0008-migration-safety': { up: up0008 },
  // site_images.sha256 NULL (not '') until a SHA-512-only image's SHA-256 is learned.
  '0009-site-image-sha256-null': { up: up0009 },
  // Indexes for the deploy gate: images by identifier, the newest catalog without its p7m.
  '0010-gate-indexes': { up: up0010 },
  // A catalog version's files in the blob store, named by SHA-256 and size from the row.
  '0011-version-blobs': { up: up0011 },
  // Transfers as streams of authenticated chunks: resume state on both sides.
  '0012-transfer-chunks': { up: up0012 },
  // The gate's kept signer checks, with the time window each holds for.
  '0013-gate-signer-checks': { up: up0013 },
  // State that replicas share: run leases, SAML request ids, rate-limit buckets.
  '0014-replica-state': { up: up0014 },
  // Running migration records name their host and carry a heartbeat (replicas on several hosts).
  '0015-migration-heartbeat': { up: up0015 },
  // The transparency log: leaves, complete-subtree hashes, signed checkpoints.
  '0016-transparency-log': { up: up0016 },
  // Sites check the log on import and witness logs: policies, views, evidence, witnesses.
  '0017-log-checks': { up: up0017 },
  // Endorser keys named by a PKCS#11 URI, held in a token.
  '0018-pkcs11-keys': { up: up0018 },
  // Two-person approval: at most one active approval per approver of the same thing.
  '0019-approval-approvers': { up: up0019 },
  // Co-signed catalogs: subscriptions that expect K of the signers they pin.
  '0020-expect-signers': { up: up0020 },
  // Co-signed catalogs: co-signers, the endorser's threshold, pending catalogs and signatures.
  '0021-cosigned-catalogs': { up: up0021 },
  // The chain of trust: inventories, policy claims, provenance; required policies.
  '0022-chain-of-trust': { up: up0022 },
  // Software inventories at the site: fetched SBOMs and their packages (deny-package, search).
  '0023-site-inventory': { up: up0023 },
};
