import { Router, type Request, type Response } from 'express';
import multer, { MulterError } from 'multer';
import { getEndorser, type Instance } from '../../../catalog/index.ts';
import { listCosigners } from '../../../catalog/cosign/cosigners.ts';
import { listPending, pendingRow, readPendingNQuads } from '../../../catalog/cosign/pending.ts';
import { diffPending } from '../../../catalog/cosign/pending-diff.ts';
import { signPending } from '../../../catalog/cosign/sign.ts';
import { VmicError } from '../../../errors/index.ts';
import { actorOf, requireCosignerRole, requirePendingReader } from '../../auth.ts';
import { endorserParam } from '../../params.ts';
import { formBody } from './form-body.ts';
import { render } from './render.ts';

/** A detached CMS with one SignerInfo and its certificates: a few KiB; 64 KiB bounds it. */
export const SIGNATURE_BYTES = 64 * 1024;

/** The command an external co-signer runs on the downloaded bytes (docs/design.md §3). */
const OPENSSL_SIGN =
  'openssl cms -sign -binary -in catalog.nq -signer SIGNER-CERT.pem -inkey SIGNER-KEY.pem ' +
  '-md sha256 -outform DER -nosmimecap -out catalog.p7s';

/** The co-signers the signed-in person may sign as, from their `cosigner:NAME/SIGNER` roles. */
function signersOf(req: Request, endorser: string): string[] {
  const prefix = `cosigner:${endorser}/`;
  return (req.principal?.roles ?? [])
    .filter((r) => r.startsWith(prefix))
    .map((r) => r.slice(prefix.length));
}

/**
 * The detached signature file of an external co-signer: one `signature` part, in memory,
 * at most SIGNATURE_BYTES; no other field (the CSRF token comes in the query string, as
 * for the image upload, because the body is read only after the check).
 */
const receiveSignature = multer({
  storage: multer.memoryStorage(),
  limits: { files: 1, fields: 0, parts: 1, fileSize: SIGNATURE_BYTES, headerPairs: 20 },
}).single('signature');

async function signatureOf(req: Request, res: Response): Promise<Uint8Array> {
  if (!req.is('multipart/form-data'))
    throw new VmicError('BAD_REQUEST', 'a signature upload is multipart/form-data with one file');
  const declared = Number(req.get('content-length') ?? NaN);
  if (declared > SIGNATURE_BYTES + 4096) {
    res.setHeader('Connection', 'close');
    throw new VmicError('TOO_LARGE', `a signature file is at most ${SIGNATURE_BYTES} bytes`);
  }
  await new Promise<void>((resolve, reject) => {
    receiveSignature(req, res, (err?: unknown) => {
      if (!err) resolve();
      else if (err instanceof MulterError)
        reject(
          new VmicError(
            err.code === 'LIMIT_FILE_SIZE' ? 'TOO_LARGE' : 'BAD_REQUEST',
            err.code === 'LIMIT_FILE_SIZE'
              ? `a signature file is at most ${SIGNATURE_BYTES} bytes`
              : `unexpected form part (${err.code})`,
            { cause: err },
          ),
        );
      else reject(new VmicError('BAD_REQUEST', 'malformed upload', { cause: err }));
    });
  });
  if (!req.file || req.file.size === 0)
    throw new VmicError('BAD_REQUEST', 'choose the detached signature file (.p7s) to upload');
  return new Uint8Array(req.file.buffer);
}

/**
 * The pending catalog of a co-signed endorser (docs/design.md §3): what it changes, who
 * signed and who is still needed, its exact N-Quads to sign elsewhere, and for a signed-in
 * co-signer the forms to sign it. Read by `admin`, `endorser:NAME` and the endorser's
 * co-signers; signed only under `cosigner:NAME/SIGNER`, once per person.
 */
export function pendingPages(inst: Instance): Router {
  const r = Router();
  const endorser = (req: Request) => endorserParam(req.params.name);
  const signer = (req: Request) => endorserParam(req.params.signer);
  const mayRead = requirePendingReader(endorser);
  const maySign = requireCosignerRole(endorser, signer);
  const form = formBody(inst.config.limits.jsonBodyBytes);

  r.get('/endorsers/:name/pending', mayRead, async (req, res) => {
    const name = endorser(req);
    const [pending] = await listPending(inst, name);
    const now = inst.now();
    if (!pending) {
      await getEndorser(inst, name);
      const published = req.query.published;
      render(req, res, 'pending.njk', {
        title: `Pending catalog of ${name}`,
        now,
        name,
        published: typeof published === 'string' && /^[0-9]{1,9}$/.test(published) ? published : '',
      });
      return;
    }
    const cosigners = await listCosigners(inst, name);
    const subjectOf = (n: string) => cosigners.find((c) => c.name === n)?.subject ?? '';
    const mine = signersOf(req, name);
    render(req, res, 'pending.njk', {
      title: `Pending catalog of ${name}`,
      now,
      name,
      pending,
      notYet: pending.notYet.map((n) => ({ name: n, subject: subjectOf(n) })),
      preview: await diffPending(inst, name),
      opensslSign: OPENSSL_SIGN,
      signAs: cosigners
        .filter((c) => mine.includes(c.name) && pending.notYet.includes(c.name))
        .map((c) => ({ name: c.name, subject: c.subject, heldHere: c.key !== 'external' })),
      signatureBytes: SIGNATURE_BYTES,
      signedNotice: pending.signed.find((x) => x.signer === req.query.signed)?.signer,
    });
  });

  // The exact bytes every signature covers, to sign elsewhere with openssl.
  r.get('/endorsers/:name/pending/catalog.nq', mayRead, async (req, res) => {
    const name = endorser(req);
    const row = await pendingRow(inst.store.db, name);
    const bytes = await readPendingNQuads(inst, row);
    res.setHeader('Content-Type', 'application/n-quads');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${name}-${row.sequence}-catalog.nq"`,
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.send(bytes);
  });

  const signed = async (req: Request, res: Response, signature?: Uint8Array) => {
    const name = endorser(req);
    const outcome = await signPending(inst, {
      endorser: name,
      as: signer(req),
      ...(signature ? { signature } : {}),
      actor: actorOf(req),
      onePerActor: true,
    });
    // The endorser page for who may read it; a co-signer alone is told on this page.
    const roles = req.principal?.roles ?? [];
    const endorserPage = roles.includes('admin') || roles.includes(`endorser:${name}`);
    res.redirect(
      303,
      !outcome.published
        ? `/endorsers/${name}/pending?signed=${encodeURIComponent(outcome.signer)}`
        : endorserPage
          ? `/endorsers/${name}?published=${outcome.published.sequence}`
          : `/endorsers/${name}/pending?published=${outcome.published.sequence}`,
    );
  };

  // With the co-signer's key held here (sealed or in its token).
  r.post('/endorsers/:name/pending/sign/:signer', maySign, form, (req, res) => signed(req, res));

  // A detached CMS made elsewhere over catalog.nq; the role is checked before any byte is read.
  r.post('/endorsers/:name/pending/signature/:signer', maySign, async (req, res) =>
    signed(req, res, await signatureOf(req, res)),
  );

  return r;
}
