import { Router } from 'express';
import type { Instance } from '../../../catalog/index.ts';
import { searchInventory, type InventorySearch } from '../../../catalog/site/inventory/search.ts';
import { isVmicError } from '../../../errors/index.ts';
import { siteReader } from '../../api/site-access.ts';
import { reasonText } from './reason-text.ts';
import { render } from './render.ts';

/**
 * `/site/inventory`: the software inventory search of the site (the same search as
 * `vmic inventory search` and GET /api/v1/site/inventory): a form and a table of the
 * images whose verified SBOM contains the package, with the gate's answer for each.
 * Readers of the site pages may use it (admin, site-approver, auditor).
 */
export function inventoryPages(inst: Instance): Router {
  const r = Router();
  r.get('/site/inventory', siteReader, async (req, res) => {
    const q = (k: string) => {
      const v = req.query[k];
      return typeof v === 'string' ? v : '';
    };
    const name = q('name').trim().slice(0, 512);
    const version = q('version').trim().slice(0, 200);
    const all = q('all') === 'true';
    let result: InventorySearch | undefined;
    let problem: string | undefined;
    if (name !== '') {
      try {
        result = await searchInventory(inst, version ? `${name}@${version}` : name, { all });
      } catch (e) {
        // A malformed name or constraint is the reader's typo: shown on the form, not a 400 page.
        if (!isVmicError(e) || e.code !== 'BAD_REQUEST') throw e;
        problem = e.message;
      }
    }
    render(req, res, 'site-inventory.njk', {
      title: 'Software inventory',
      form: { name, version, all },
      problem,
      result: result && {
        ...result,
        images: result.images.map((i) => ({
          ...i,
          reasons: i.reasons.map((x) => ({ ...x, text: reasonText(x.code) })),
        })),
      },
    });
  });
  return r;
}
