import fs from 'node:fs';
import path from 'node:path';
import { addEndorser, registerImageByUrl } from '../../../catalog/index.ts';
import { addCosigner } from '../../../catalog/cosign/cosigners.ts';
import { setThreshold } from '../../../catalog/cosign/threshold.ts';
import { opensslIdentity, opensslOk } from '../../helpers/openssl/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

/**
 * An endorser `cern` with one image and two co-signers: `dept`, whose key this server
 * holds, and `partner`, who signs elsewhere with stock openssl. Every identity is a
 * self-signed openssl certificate; `anchors` is a file holding all three.
 */
export async function cosignFixture(threshold: number) {
  let clock = Math.floor(Date.now() / 1000) * 1000 + 5000;
  const t = await tempInstance({
    now: () => new Date(clock),
    publicUrl: 'https://endorser.example',
  });
  const ids = {
    cern: opensslIdentity(t.dir, { name: 'cern', alg: 'ec' }),
    dept: opensslIdentity(t.dir, { name: 'dept', alg: 'rsa' }),
    partner: opensslIdentity(t.dir, { name: 'partner', alg: 'ec' }),
    stranger: opensslIdentity(t.dir, { name: 'stranger', alg: 'ec' }),
  };
  await addEndorser(t.inst, {
    name: 'cern',
    title: 'CERN IT',
    certificatePem: ids.cern.certificatePem,
    keyPem: ids.cern.keyPem,
    actor: 'test',
  });
  await registerImageByUrl(t.inst, {
    endorser: 'cern',
    identifier: 'alma',
    metadata: { title: 'AlmaLinux 9' },
    actor: 'test',
    url: 'https://mirror.example/alma.qcow2',
    sha256: 'ab'.repeat(32),
    size: 123,
  });
  await addCosigner(t.inst, {
    endorser: 'cern',
    name: 'dept',
    certificatePem: ids.dept.certificatePem,
    keyPem: ids.dept.keyPem,
    actor: 'test',
  });
  await addCosigner(t.inst, {
    endorser: 'cern',
    name: 'partner',
    certificatePem: ids.partner.certificatePem,
    external: true,
    actor: 'test',
  });
  await setThreshold(t.inst, { endorser: 'cern', threshold, actor: 'test' });
  const anchors = path.join(t.dir, 'anchors.pem');
  fs.writeFileSync(
    anchors,
    ids.cern.certificatePem + ids.dept.certificatePem + ids.partner.certificatePem,
  );
  return { ...t, ids, anchors, advance: (ms: number) => (clock += ms) };
}

type Fixture = Awaited<ReturnType<typeof cosignFixture>>;

/** What the external co-signer does with stock openssl: a detached DER CMS over `file`. */
export function opensslDetached(
  f: Pick<Fixture, 'dir' | 'ids'>,
  file: string,
  who: 'partner' | 'stranger',
): Buffer {
  const out = path.join(f.dir, `${who}-${path.basename(file)}.p7s`);
  opensslOk(
    ['cms', '-sign', '-binary', '-in', file, '-signer', f.ids[who].certFile].concat([
      '-inkey',
      f.ids[who].keyFile,
      '-outform',
      'DER',
      '-out',
      out,
      '-nosmimecap',
    ]),
  );
  return fs.readFileSync(out);
}
