import fs from 'node:fs';

import { getSiteIdentity, setSiteIdentity } from '../../../catalog/migration/site-identity.ts';
import { addPeer, listPeers, removePeer, type Peer } from '../../../catalog/migration/peers.ts';
import { migrateImage, NotDeployableError } from '../../../catalog/migration/migrate.ts';
import { listMigrations, type MigrationRecord } from '../../../catalog/migration/records.ts';
import { receiveTransfer } from '../../../catalog/migration/receive.ts';
import { flag, parse, required, str } from '../options.ts';
import { emit, EXIT } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** `vmic site identity set|show`: the certificate and key this site signs and receives with. */
export async function siteCommand(argv: string[]): Promise<number> {
  const [what, sub, ...rest] = argv;
  if (what === 'approved')
    return (await import('./site-approved.ts')).siteApprovedCommand(argv.slice(1));
  if (what !== 'identity' || (sub !== 'set' && sub !== 'show'))
    throw new UsageError(
      'usage: vmic site identity set --cert F (--key F | --pkcs11 URI) [--chain F] | vmic site identity show | vmic site approved [--json]',
    );
  const p = parse(
    rest,
    {
      cert: { type: 'string' },
      key: { type: 'string' },
      pkcs11: { type: 'string' },
      chain: { type: 'string' },
    },
    false,
  );
  const keyFile = str(p, 'key');
  const pkcs11 = str(p, 'pkcs11');
  if (sub === 'set' && (keyFile === undefined) === (pkcs11 === undefined))
    throw new UsageError('give --key FILE or --pkcs11 URI (one of them)');
  const id = await withInstance(p, (inst) => {
    if (sub === 'show') return getSiteIdentity(inst);
    const chain = str(p, 'chain');
    return setSiteIdentity(inst, {
      certificatePem: read(required(p, 'cert')),
      ...(keyFile !== undefined ? { keyPem: read(keyFile) } : { pkcs11 }),
      chainPem: chain ? read(chain) : undefined,
      actor: cliActor(),
    });
  });
  emit(flag(p, 'json'), id, () => [`site identity: ${id.subject}`, `  issuer: ${id.issuer}`]);
  return 0;
}

export async function peerCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') {
    const p = parse(rest, {
      url: { type: 'string' },
      cert: { type: 'string' },
      'expect-subject': { type: 'string' },
      'expect-issuer': { type: 'string' },
    });
    const name = p.positionals[0];
    if (!name || p.positionals.length > 1)
      throw new UsageError(
        'usage: vmic peer add NAME (--url URL | --cert F) --expect-subject DN [--expect-issuer DN]',
      );
    const cert = str(p, 'cert');
    const peer = await withInstance(p, (inst) =>
      addPeer(inst, {
        name,
        url: str(p, 'url'),
        certificatePem: cert ? read(cert) : undefined,
        expectSubject: required(p, 'expect-subject'),
        expectIssuer: str(p, 'expect-issuer'),
        actor: cliActor(),
      }),
    );
    emit(flag(p, 'json'), peer, () => [
      `peer ${peer.name} added (${peer.url ?? 'bundles by hand'}), pinned ${peer.expectSubject}`,
      `  issuer: ${describeIssuerPin(peer)}`,
    ]);
    return 0;
  }
  if (sub === 'list') {
    const p = parse(rest, {}, false);
    const peers = await withInstance(p, (inst) => listPeers(inst));
    emit(flag(p, 'json'), peers, () =>
      peers.length
        ? peers.map(
            (x) =>
              `${x.name}\t${x.url ?? '(bundles)'}\t${x.expectSubject}\tissuer: ${describeIssuerPin(x)}`,
          )
        : ['no peers'],
    );
    return 0;
  }
  if (sub === 'remove') {
    const p = parse(rest, {});
    const name = p.positionals[0];
    if (!name) throw new UsageError('usage: vmic peer remove NAME');
    await withInstance(p, (inst) => removePeer(inst, name, cliActor()));
    emit(flag(p, 'json'), { removed: name }, () => `peer ${name} removed`);
    return 0;
  }
  throw new UsageError('usage: vmic peer add|list|remove ...');
}

/** `vmic migrate IMAGE --to PEER [--dir DIR]`: exit 0 migrated, 1 refused (with every gate reason). */
/** How a peer's issuing CA is pinned, in one phrase (trust on first use until it is). */
function describeIssuerPin(peer: Peer): string {
  const pin = peer.issuerPin;
  if (pin.subject === undefined) return 'not pinned yet (pinned on first verified use)';
  const key = pin.keyId ? ` key ${pin.keyId}` : ' (key pinned on first verified use)';
  return `${pin.subject}${key} [${pin.source === 'configured' ? 'configured' : 'first use'}]`;
}

export async function migrateCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {
    to: { type: 'string' },
    dir: { type: 'string' },
    subscription: { type: 'string' },
  });
  const image = p.positionals[0];
  if (!image || p.positionals.length > 1)
    throw new UsageError('usage: vmic migrate IMAGE --to PEER [--dir DIR] [--subscription N]');
  try {
    const r = await withInstance(p, (inst) =>
      migrateImage(inst, {
        image,
        to: required(p, 'to'),
        dir: str(p, 'dir'),
        subscription: str(p, 'subscription'),
        actor: cliActor(),
      }),
    );
    emit(flag(p, 'json'), r, () => [
      ...(r.retriedAfter
        ? [
            `migration ${r.retriedAfter.migrationId}: the receiver refused the ciphertext (${r.retriedAfter.code}); sent again`,
          ]
        : []),
      ...(r.resumed
        ? [
            `migration ${r.migrationId}: resumed an interrupted transfer from chunk ${r.resumed.fromChunk} of ${r.resumed.chunks}`,
          ]
        : []),
      `migration ${r.migrationId}: ${image} sent to ${r.target}`,
      ...(r.bundle
        ? [`  bundle: ${r.bundle} (receiver: vmic transfer receive FILE)`]
        : ['  imported by the receiver']),
    ]);
    return 0;
  } catch (e) {
    if (e instanceof NotDeployableError) {
      emit(flag(p, 'json'), { refused: true, reasons: e.reasons }, () => [
        `refused before Export: ${image} is not deployable here`,
        ...e.reasons.map((r) => `  ${r.code}: ${r.message}`),
      ]);
      return EXIT.refused;
    }
    throw e;
  }
}

export async function transferCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, {});
  const file = p.positionals[0];
  if (sub !== 'receive' || !file || p.positionals.length > 1)
    throw new UsageError('usage: vmic transfer receive FILE');
  if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const r = await withInstance(p, (inst) =>
    receiveTransfer(inst, fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), {
      via: `file ${file}`,
      actor: cliActor(),
    }),
  );
  emit(
    flag(p, 'json'),
    r,
    () =>
      `migration ${r.migrationId}: ${r.image} sha256:${r.sha256} received from ${r.peer}` +
      (r.resumedFromChunk
        ? ` (resumed: chunks before ${r.resumedFromChunk} were kept from an earlier, interrupted reading)`
        : ''),
  );
  return 0;
}

function describe(m: MigrationRecord): string[] {
  if (m.state === 'refused')
    return [
      `${m.id} incoming ${m.image || '(unknown image)'} via ${m.target}: REFUSED ${m.reason?.code ?? ''}${m.reason?.rule ? ` (${m.reason.rule})` : ''}`,
      `  claimed sender: ${m.claimedSender ? `${m.claimedSender.subject}${m.claimedSender.verified ? '' : ' (unverified)'}` : 'unknown'}`,
      `  ${m.reason?.message ?? ''}`,
    ];
  const head = `${m.id} ${m.direction} ${m.image} ${m.direction === 'outgoing' ? 'to' : 'from'} ${m.peer}: ${m.state.toUpperCase()}${m.reason ? ` ${m.reason.code}` : ''}`;
  return [
    head,
    ...m.stages.map(
      (s) =>
        `  ${s.stage.padEnd(8)} ${s.state}${s.seconds !== undefined ? ` ${s.seconds.toFixed(2)} s` : ''}${s.reasonCode ? ` ${s.reasonCode}` : ''}`,
    ),
  ];
}

export async function migrationsCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {}, false);
  const list = await withInstance(p, (inst) => listMigrations(inst));
  emit(flag(p, 'json'), list, () => (list.length ? list.flatMap(describe) : ['no migrations']));
  return 0;
}
