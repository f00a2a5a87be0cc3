import { exitCodeFor, EXIT } from './output.ts';
import { UsageError } from './usage-error.ts';

type Command = (argv: string[]) => Promise<number>;

// Loaded on demand: a cron job running `vmic publish` need not load the web server.
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  pki: async () => (await import('./commands/pki.ts')).pkiCommand,
  endorser: async () => (await import('./commands/endorser.ts')).endorserCommand,
  image: async () => (await import('./commands/image.ts')).imageCommand,
  publish: async () => (await import('./commands/publish.ts')).publishCommand,
  catalog: async () => (await import('./commands/catalog.ts')).catalogCommand,
  token: async () => (await import('./commands/token.ts')).tokenCommand,
  audit: async () => (await import('./commands/audit.ts')).auditCommand,
  fetch: async () => (await import('./commands/fetch.ts')).fetchCommand,
  trust: async () => (await import('./commands/trust.ts')).trustCommand,
  subscribe: async () => (await import('./commands/subscribe.ts')).subscribeCommand,
  subscription: async () => (await import('./commands/subscribe.ts')).subscriptionCommand,
  import: async () => (await import('./commands/import.ts')).importCommand,
  approve: async () => (await import('./commands/approve.ts')).approveCommand,
  unapprove: async () => (await import('./commands/approve.ts')).unapproveCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  policy: async () => (await import('./commands/policy.ts')).policyCommand,
  inventory: async () => (await import('./commands/inventory.ts')).inventoryCommand,
  site: async () => (await import('./commands/migration.ts')).siteCommand,
  peer: async () => (await import('./commands/migration.ts')).peerCommand,
  migrate: async () => (await import('./commands/migration.ts')).migrateCommand,
  migrations: async () => (await import('./commands/migration.ts')).migrationsCommand,
  transfer: async () => (await import('./commands/migration.ts')).transferCommand,
  glance: async () => (await import('./commands/glance.ts')).glanceCommand,
  log: async () => (await import('./commands/log.ts')).logCommand,
  witness: async () => (await import('./commands/witness.ts')).witnessCommand,
};

const HELP = `vmic — signed virtual-machine image catalogs

usage: vmic COMMAND [options]   (every command: --data DIR, --public-url URL, --json,
                                 --database-url postgres://…, --blob-url s3://BUCKET?endpoint=…)

  serve [--host H] [--port P] [--import-every 1h] [--witness-every 10m]
                                         run the server (optionally the import, the witness run too)
        [--glance-sync-every 15m (--os-cloud NAME | --glance-url URL)]   and the Glance sync
        [--metrics-allow CIDR,...] [--metrics-require-token]   who may read /metrics (default: token)
        [--feed-max-age 60s]           how long caches may keep the latest feed paths (max 1h)
        [--trust-proxy CIDR,...]       reverse proxies whose X-Forwarded-For names the client
                                       (rate limits, --metrics-allow); default none
  demo [--host H] [--port P] [--insecure-demo-login]   set up and serve a ready-to-try instance
  pki demo --out DIR                     write a throwaway CA hierarchy, leaves, keys and CRL
  pki keygen --pkcs11 URI --subject DN [--key-algorithm A] [--for endorser|site] [--out F]
                                         make a key in a PKCS#11 token ($VMIC_PKCS11_MODULE,
                                         $VMIC_PKCS11_PIN[_FILE]) and print its CSR
  pki keygen --pkcs11 URI --key-algorithm Ed25519 --for log|witness
                                         make the log's or the witness's note key in a token
  pki verify CERT.pem --trust F [--chain F] [--crl F] [--at TIME] [--eku NAME|OID]
             [--max-depth N] [--leaf-key-usage digitalSignature|any] [--revocation best-effort|require]
                                         explain why a certificate is or is not trusted;
                                         --max-depth counts intermediate CAs (openssl -verify_depth)
  endorser add NAME --cert F (--key F | --pkcs11 URI) [--chain F] [--title T]
  endorser list
  endorser rotate NAME --cert F (--key F | --pkcs11 URI) [--chain F]
                                         sign from the next publish on with a new certificate and key
  endorser cosigner add ENDORSER SIGNER --cert F (--key F | --pkcs11 URI | --external) [--chain F]
  endorser cosigner list ENDORSER | remove ENDORSER SIGNER
  endorser threshold ENDORSER K          catalogs need K signatures (its own included; 1 = alone)
  endorser conforms-to NAME (IRI... | --clear)
                                         policies every image of the catalog conforms to
  image add --endorser NAME (--file PATH | --url URL --sha256 HEX --size N) --title T [...]
  image list [--endorser NAME]
  image withdraw ID [--endorser NAME]
  image conforms-to ID [--endorser NAME] (IRI... | --clear)
                                         policies the image conforms to (dcterms:conformsTo;
                                         image add takes --conforms-to IRI, repeatable)
  image adopt SUBSCRIPTION/ID --endorser NAME [--as ID]
                                         re-endorse a deployable imported image here, with
                                         its provenance (PROV-O); served from this instance
  publish --endorser NAME [--expires-in 30d]   (threshold K > 1: makes a pending catalog)
  catalog pending [ENDORSER] [--nquads OUT]    pending catalogs: who signed, who is needed
  catalog diff ENDORSER                  what the pending catalog changes against the last one
  catalog sign ENDORSER --as SIGNER [--signature F.p7s]   co-sign (key here, or a detached
                                         CMS made with openssl cms -sign over the N-Quads)
  catalog discard ENDORSER               drop the pending catalog, freeing its sequence
  token create --role ROLE [--ttl 1h]    ROLE: admin, site-approver, auditor, metrics, endorser:NAME
  audit verify [--checkpoint F] | audit prove SEQ | audit export
                                         the chain, and against the transparency log's checkpoints
  log key [--pkcs11 URI] | log checkpoint
                                         the transparency log's verifier key (give it to sites
                                         out of band; --pkcs11: use a token key, before the
                                         first entry) and its latest signed checkpoint
  log witness add KEY URL | list | remove KEY
                                         witnesses the log asks to cosign at each publish

site:
  trust add FILE.pem ... | trust list    CA certificates (anchors, intermediates) and CRLs
  subscribe URL --expect-subject DN [--expect-issuer DN] [--name N] [--format rdf|hepix]
            [--log require|warn|off] [--log-key KEY] [--witness KEY[,URL]]... [--witness-quorum K]
            [--require-policy IRI]... [--verify-provenance]
  subscription list | enable N | disable N | remove N | repin N
  subscription set N [(--require-policy IRI)... | --no-require-policy] [--[no-]verify-provenance]
                                         POLICY_NOT_MET unless the image or its catalog claims each
  import [--subscription N]              the cron job: fetch, verify, apply catalogs
  fetch [--subscription N]               download endorsed images, verify SHA-256 and size
  approve IMAGE [--subscription N] | approve --endorser SUBSCRIPTION   (unapprove likewise)
  check IMAGE [--subscription N]         the deploy gate: exit 0 deployable, 3 not
  policy show | policy set KEY VALUE | policy unset KEY
  policy set deny-package RULE | policy unset deny-package [RULE]
                                         add / remove (all) packages the gate refuses, e.g.
                                         'pkg:deb/debian/openssl@<3.0.13'
  inventory search NAME[@VERSION] [--all]
                                         deployable images whose verified SBOM has the package
                                         (openssl@3.0.x, 'pkg:deb/debian/openssl@>=3.0.0,<3.0.13')
  status                                 site health: catalogs, imports, images, cache, audit;
                                         exit 0 ok, 1 warning, 2 error
  witness key [--pkcs11 URI] | follow LOG-KEY [--url LOG-URL] | unfollow ORIGIN | list | run | evidence
                                         cosign other instances' logs (tlog-witness), find forks
  glance sync [--os-cloud NAME | --glance-url URL] [--dry-run]
                                         put deployable images into OpenStack Glance, deactivate
                                         or delete those no longer deployable (policy glance-*)

migration between sites:
  site identity set --cert F --key F [--chain F] | site identity show
  site approved [--json]                 the signed approval feed for compute nodes
  peer add NAME (--url URL | --cert F) --expect-subject DN [--expect-issuer DN]
  peer list | peer remove NAME
  migrate IMAGE --to PEER [--dir DIR] [--subscription N]   Export -> Transfer -> Import
  migrations                             migrations with their stages
  transfer receive FILE                  import a bundle written with migrate --dir

exit codes: 0 success, 1 refused or failed verification, 2 usage or configuration error,
3 check: not deployable (status: 0 ok, 1 warning, 2 error)`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP + '\n');
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  return (await load())(rest);
}

const argv = process.argv.slice(2);
// Fail closed: if the command's promise never settles (a stalled await), the process must
// not end with status 0 and let a cron job believe that it succeeded.
let settled = false;
process.on('exit', () => {
  if (!settled) {
    process.stderr.write('vmic: internal error: the command ended without finishing\n');
    process.exitCode = EXIT.refused;
  }
});
main(argv).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (e: unknown) => {
    settled = true;
    process.exitCode = exitCodeFor(e, argv.includes('--json'));
  },
);
