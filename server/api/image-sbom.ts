import { Router, type Request } from 'express';
import getRawBody from 'raw-body';
import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../../catalog/index.ts';
import { attachSbom, detachSbom } from '../../catalog/sbom/attach-sbom.ts';
import { actorOf } from '../auth.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

/** What a client may label the document with; the format itself is detected from the bytes. */
const SBOM_TYPES = ['application/spdx+json', 'application/vnd.cyclonedx+json', 'application/json'];

/**
 * `PUT` and `DELETE /endorsers/{endorser}/images/{identifier}/sbom`: attach or detach an
 * image's software inventory (catalog/sbom/attach-sbom.ts). The role check runs before any
 * byte of the body is read (register.ts), and the body is read here as bytes, bounded by
 * the configured `sbomBytes`: refused by its declared length before reading, or as soon as
 * a streamed body crosses the bound (threat: a hostile 1 GB SBOM read whole into memory).
 */
export function imageSbomApi(inst: Instance): Router {
  const r = Router();
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };

  route(
    r,
    ROUTES.putImageSbom,
    async ({ params }, req, res) => {
      const bytes = await readSbomBody(req, inst.config.limits.sbomBytes);
      res.json(
        await attachSbom(inst, {
          endorser: params.endorser,
          identifier: params.identifier,
          actor: actorOf(req),
          bytes,
        }),
      );
    },
    opts,
  );

  route(
    r,
    ROUTES.deleteImageSbom,
    async ({ params }, req, res) => {
      res.json(
        await detachSbom(inst, {
          endorser: params.endorser,
          identifier: params.identifier,
          actor: actorOf(req),
        }),
      );
    },
    opts,
  );

  return r;
}

async function readSbomBody(req: Request, limit: number): Promise<Buffer> {
  if (!req.is(SBOM_TYPES))
    throw new VmicError('BAD_REQUEST', `send the SBOM as ${SBOM_TYPES.join(', ')}`, {
      rule: '/body',
    });
  const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
  if (encoding !== 'identity')
    throw new VmicError('BAD_REQUEST', `content-encoding ${encoding} is not accepted`);
  const declared = req.get('content-length');
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  try {
    return await getRawBody(req, {
      limit,
      ...(declared !== undefined ? { length: Number(declared) } : {}),
    });
  } catch (err) {
    if ((err as { status?: number }).status === 413) throw tooLarge(limit);
    throw new VmicError('BAD_REQUEST', 'the SBOM could not be read', { cause: err });
  }
}

function tooLarge(limit: number): VmicError {
  return new VmicError('TOO_LARGE', `the SBOM is larger than ${limit} bytes`, {
    rule: 'sbom.size',
  });
}
