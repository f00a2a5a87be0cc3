/**
 * Code comments cite the design by section and step ("docs/design.md §6 step 7"). Each
 * such label must lead to a heading that exists, so a reader can follow it, and the
 * design must not be cited by a name that is not in the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const FOLDERS = ['pki', 'catalog', 'server', 'scripts', 'views', 'test'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(full);
    return /\.(ts|js|njk|sh)$/.test(e.name) ? [full] : [];
  });
}

const files = FOLDERS.flatMap((f) => sources(path.join(root, f)));
const design = fs.readFileSync(path.join(root, 'docs', 'design.md'), 'utf8');

/** `## 6. ...` headings, and within each, `### Step 7: ...` headings. */
function headings(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let section: Set<string> | undefined;
  for (const line of design.split('\n')) {
    const top = /^## (\d+)\. /.exec(line);
    if (top) out.set(top[1]!, (section = new Set()));
    const step = /^### Step (\d+):/.exec(line);
    if (step && section) section.add(step[1]!);
  }
  return out;
}

test('every "docs/design.md §N step M" label in the code names a heading of docs/design.md', () => {
  const known = headings();
  assert.ok(known.size >= 10, 'the design has its numbered sections');
  const broken: string[] = [];
  let labels = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/docs\/design\.md §(\d+)(?: step (\d+))?/g)) {
      labels++;
      const steps = known.get(m[1]!);
      if (!steps || (m[2] !== undefined && !steps.has(m[2]))) {
        broken.push(`${path.relative(root, file)}: ${m[0]}`);
      }
    }
  }
  assert.ok(labels > 20, `found ${labels} labels`);
  assert.deepEqual(broken, []);
});

test('the design is cited by its path in the repository, never by the old upper-case name', () => {
  const stale = files.filter(
    (f) =>
      f !== path.join(root, 'test', 'docs', 'design-references.test.ts') &&
      /DESIGN(\.md| §)/.test(fs.readFileSync(f, 'utf8')),
  );
  assert.deepEqual(
    stale.map((f) => path.relative(root, f)),
    [],
  );
});
