import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { DesiredImage } from '../../../catalog/glance/desired-images.ts';
import type { GlanceImage } from '../../../catalog/glance/glance-client.ts';
import {
  hashAgrees,
  keyOf,
  patchFor,
  planSync,
  type PlannedAction,
} from '../../../catalog/glance/sync-plan.ts';

/*
 * The sync plan is pure: these build Glance images and desired images by hand and check the
 * exact list of actions (kind, image id, reason, patch ops) and the unchanged count.
 */

const SITE = 'https://vmic.example.org';

const hex = (seed: string, len: number): string =>
  createHash('sha512').update(seed).digest('hex').slice(0, len);

function desired(identifier: string, over: Partial<DesiredImage> = {}): DesiredImage {
  const subscription = over.subscription ?? 'sub-1';
  const sha256 = over.sha256 ?? hex(`sha256 ${identifier}`, 64);
  return {
    subscription,
    identifier,
    sha256,
    size: 4096,
    name: `Image ${identifier}`,
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    visibility: 'public',
    properties: {
      vmic_site: SITE,
      vmic_subscription: subscription,
      vmic_identifier: identifier,
      vmic_endorser: 'CN=Endorser',
      vmic_sha256: sha256,
      vmic_catalog_sequence: '3',
      vmic_approval: 'manual',
    },
    ...over,
  };
}

/** The SHA-512 vmic checked for `d` (made up, but well-formed). */
const sha512Of = (d: DesiredImage): string => hex(`sha512 ${d.identifier} ${d.sha256}`, 128);

type Raw = Record<string, string | number | null | undefined>;

/** A GlanceImage the way glance-client's imageOf builds it from Glance's JSON. */
function glanceImage(raw: Raw & { id: string }): GlanceImage {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') fields[k] = v;
  const str = (k: string): string | null => (typeof raw[k] === 'string' ? raw[k] : null);
  return {
    id: raw.id,
    name: str('name'),
    status: str('status') ?? 'unknown',
    visibility: str('visibility') ?? 'unknown',
    diskFormat: str('disk_format'),
    containerFormat: str('container_format'),
    size: typeof raw.size === 'number' ? raw.size : null,
    osHashAlgo: str('os_hash_algo'),
    osHashValue: str('os_hash_value'),
    fields,
  };
}

/** A good, active Glance copy of `d`; `over` changes fields (undefined removes one). */
function copyOf(d: DesiredImage, id: string, over: Raw = {}): GlanceImage {
  const raw: Raw & { id: string } = {
    id,
    name: d.name,
    status: 'active',
    visibility: d.visibility,
    disk_format: d.diskFormat,
    container_format: d.containerFormat,
    size: d.size,
    os_hash_algo: 'sha512',
    os_hash_value: sha512Of(d),
    ...d.properties,
    vmic_sha512: sha512Of(d),
    ...over,
  };
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
  return glanceImage(raw);
}

/** A Glance image that never got its bytes: `queued`, no hash, no vmic_sha512. */
function queuedCopyOf(d: DesiredImage, id: string): GlanceImage {
  return copyOf(d, id, {
    status: 'queued',
    size: null,
    os_hash_algo: null,
    os_hash_value: null,
    vmic_sha512: undefined,
  });
}

type Brief =
  | { kind: 'deactivate' | 'delete'; id: string; reason: string }
  | { kind: 'reactivate' | 'update'; id: string; identifier: string; ops: unknown[] }
  | { kind: 'create'; identifier: string };

function brief(a: PlannedAction): Brief {
  switch (a.kind) {
    case 'create':
      return { kind: a.kind, identifier: a.desired.identifier };
    case 'deactivate':
    case 'delete':
      return { kind: a.kind, id: a.image.id, reason: a.reason };
    default:
      return { kind: a.kind, id: a.image.id, identifier: a.desired.identifier, ops: a.ops };
  }
}

function plan(
  want: readonly DesiredImage[],
  have: readonly GlanceImage[],
  withdrawn: 'deactivate' | 'delete' = 'deactivate',
): { actions: Brief[]; unchanged: number } {
  const p = planSync(want, have, withdrawn);
  return { actions: p.actions.map(brief), unchanged: p.unchanged };
}

const BOTH = ['deactivate', 'delete'] as const;

test('nothing desired and nothing in Glance: an empty plan', () => {
  for (const w of BOTH) assert.deepEqual(plan([], [], w), { actions: [], unchanged: 0 });
});

test('a desired image absent from Glance is created', () => {
  const a = desired('a');
  const p = planSync([a], [], 'deactivate');
  assert.deepEqual(p.actions, [{ kind: 'create', desired: a }]);
  assert.equal(p.unchanged, 0);
  const action = p.actions[0];
  assert.ok(action?.kind === 'create');
  assert.equal(action.desired, a, 'the desired image itself is carried');
});

test('an active copy equal to the desired image: nothing to do, unchanged 1', () => {
  const a = desired('a');
  for (const w of BOTH)
    assert.deepEqual(plan([a], [copyOf(a, 'img-1')], w), { actions: [], unchanged: 1 });
});

test('a differing and a missing property: one update with replace and add', () => {
  const a = desired('a');
  const i = copyOf(a, 'img-1', { vmic_catalog_sequence: '2', vmic_approval: undefined });
  assert.deepEqual(plan([a], [i]), {
    actions: [
      {
        kind: 'update',
        id: 'img-1',
        identifier: 'a',
        ops: [
          { op: 'replace', path: '/vmic_catalog_sequence', value: '3' },
          { op: 'add', path: '/vmic_approval', value: 'manual' },
        ],
      },
    ],
    unchanged: 0,
  });
});

test('patchFor: name and visibility are kept equal too, extra properties are left alone', () => {
  const a = desired('a');
  const i = copyOf(a, 'img-1', { name: 'old', visibility: 'private', extra_prop: 'x' });
  assert.deepEqual(patchFor(i, a), [
    { op: 'replace', path: '/name', value: 'Image a' },
    { op: 'replace', path: '/visibility', value: 'public' },
  ]);
  // Glance gives `name: null` for an image created without one: not a field, so `add`.
  assert.deepEqual(patchFor(copyOf(a, 'img-2', { name: null }), a), [
    { op: 'add', path: '/name', value: 'Image a' },
  ]);
  assert.deepEqual(patchFor(copyOf(a, 'img-3'), a), []);
});

test('a deactivated copy of a desired image is reactivated, with ops only when it differs', () => {
  const a = desired('a');
  assert.deepEqual(plan([a], [copyOf(a, 'img-1', { status: 'deactivated' })]), {
    actions: [{ kind: 'reactivate', id: 'img-1', identifier: 'a', ops: [] }],
    unchanged: 0,
  });
  const differs = copyOf(a, 'img-1', { status: 'deactivated', vmic_catalog_sequence: '1' });
  for (const w of BOTH)
    assert.deepEqual(plan([a], [differs], w), {
      actions: [
        {
          kind: 'reactivate',
          id: 'img-1',
          identifier: 'a',
          ops: [{ op: 'replace', path: '/vmic_catalog_sequence', value: '3' }],
        },
      ],
      unchanged: 0,
    });
});

test('not desired, active: deactivated under "deactivate", deleted under "delete"', () => {
  const i = copyOf(desired('gone'), 'img-1');
  assert.deepEqual(plan([], [i], 'deactivate'), {
    actions: [{ kind: 'deactivate', id: 'img-1', reason: 'not-deployable' }],
    unchanged: 0,
  });
  assert.deepEqual(plan([], [i], 'delete'), {
    actions: [{ kind: 'delete', id: 'img-1', reason: 'not-deployable' }],
    unchanged: 0,
  });
});

test('not desired, deactivated: left alone under "deactivate", deleted under "delete"', () => {
  const i = copyOf(desired('gone'), 'img-1', { status: 'deactivated' });
  assert.deepEqual(plan([], [i], 'deactivate'), { actions: [], unchanged: 1 });
  assert.deepEqual(plan([], [i], 'delete'), {
    actions: [{ kind: 'delete', id: 'img-1', reason: 'not-deployable' }],
    unchanged: 0,
  });
});

test('not desired, incomplete (queued, saving, killed): deleted as incomplete either way', () => {
  const d = desired('gone');
  for (const status of ['queued', 'saving', 'killed', 'importing']) {
    const i = status === 'queued' ? queuedCopyOf(d, 'img-1') : copyOf(d, 'img-1', { status });
    for (const w of BOTH)
      assert.deepEqual(plan([], [i], w), {
        actions: [{ kind: 'delete', id: 'img-1', reason: 'incomplete' }],
        unchanged: 0,
      });
  }
});

test('a desired image with only a queued copy: the copy is deleted and a new one created', () => {
  const a = desired('a');
  for (const w of BOTH)
    assert.deepEqual(plan([a], [queuedCopyOf(a, 'img-1')], w), {
      actions: [
        { kind: 'delete', id: 'img-1', reason: 'incomplete' },
        { kind: 'create', identifier: 'a' },
      ],
      unchanged: 0,
    });
  // Active but never checked (no vmic_sha512): incomplete as well.
  assert.deepEqual(plan([a], [copyOf(a, 'img-1', { vmic_sha512: undefined })]).actions, [
    { kind: 'delete', id: 'img-1', reason: 'incomplete' },
    { kind: 'create', identifier: 'a' },
  ]);
});

test('Glance hash not the checked one: deleted as hash-mismatch and created again', () => {
  const a = desired('a');
  const replaced = {
    actions: [
      { kind: 'delete', id: 'img-1', reason: 'hash-mismatch' },
      { kind: 'create', identifier: 'a' },
    ],
    unchanged: 0,
  };
  assert.deepEqual(plan([a], [copyOf(a, 'img-1', { vmic_sha512: hex('other', 128) })]), replaced);
  assert.deepEqual(plan([a], [copyOf(a, 'img-1', { os_hash_value: hex('other', 128) })]), replaced);
  // Glance configured for md5 (or anything but sha512/sha256): nothing to compare with.
  const md5 = copyOf(a, 'img-1', { os_hash_algo: 'md5', os_hash_value: hex('md5', 32) });
  assert.deepEqual(plan([a], [md5]), replaced);
  // Glance configured for sha256: compared with the catalog's SHA-256.
  const sha256 = copyOf(a, 'img-1', { os_hash_algo: 'sha256', os_hash_value: a.sha256 });
  assert.deepEqual(plan([a], [sha256]), { actions: [], unchanged: 1 });
  const badSha256 = copyOf(a, 'img-1', { os_hash_algo: 'sha256', os_hash_value: hex('x', 64) });
  assert.deepEqual(plan([a], [badSha256]), replaced);
});

test('hashAgrees', () => {
  const a = desired('a');
  assert.equal(hashAgrees(copyOf(a, 'i')), true);
  assert.equal(hashAgrees(copyOf(a, 'i', { vmic_sha512: undefined })), false);
  assert.equal(hashAgrees(copyOf(a, 'i', { os_hash_value: null })), false);
  assert.equal(hashAgrees(copyOf(a, 'i', { os_hash_algo: null })), false);
  // vmic_sha512 must be 128 lower-case hex digits, even when Glance uses sha256.
  const upper = sha512Of(a).toUpperCase();
  assert.equal(hashAgrees(copyOf(a, 'i', { vmic_sha512: upper, os_hash_value: upper })), false);
  assert.equal(hashAgrees(copyOf(a, 'i', { vmic_sha512: 'x', os_hash_value: 'x' })), false);
  assert.equal(
    hashAgrees(
      copyOf(a, 'i', { os_hash_algo: 'sha256', os_hash_value: a.sha256, vmic_sha512: 'zz' }),
    ),
    false,
  );
  assert.equal(
    hashAgrees(copyOf(a, 'i', { os_hash_algo: 'md5', os_hash_value: sha512Of(a) })),
    false,
  );
});

test('other formats or size than the catalog says: deleted as differs and created again', () => {
  const a = desired('a');
  for (const over of [{ disk_format: 'raw' }, { container_format: 'ova' }, { size: 4097 }]) {
    for (const w of BOTH)
      assert.deepEqual(plan([a], [copyOf(a, 'img-1', over)], w), {
        actions: [
          { kind: 'delete', id: 'img-1', reason: 'differs' },
          { kind: 'create', identifier: 'a' },
        ],
        unchanged: 0,
      });
  }
  // A deactivated copy that differs is not reactivated either.
  assert.deepEqual(
    plan([a], [copyOf(a, 'img-1', { status: 'deactivated', disk_format: 'raw' })]).actions,
    [
      { kind: 'delete', id: 'img-1', reason: 'differs' },
      { kind: 'create', identifier: 'a' },
    ],
  );
});

test('two good active copies: the smaller id is kept whatever the listing order', () => {
  const a = desired('a');
  const copies = ['img-c', 'img-a', 'img-d', 'img-b'].map((id) => copyOf(a, id));
  const want = {
    actions: [
      { kind: 'delete', id: 'img-b', reason: 'duplicate' },
      { kind: 'delete', id: 'img-c', reason: 'duplicate' },
      { kind: 'delete', id: 'img-d', reason: 'duplicate' },
    ],
    unchanged: 1,
  };
  const orders = [
    copies,
    [...copies].reverse(),
    [copies[2], copies[0], copies[3], copies[1]],
    [copies[1], copies[3], copies[0], copies[2]],
  ] as GlanceImage[][];
  for (const order of orders) assert.deepEqual(plan([a], order), want);
  assert.deepEqual(plan([a], [copyOf(a, 'img-2'), copyOf(a, 'img-1')]), {
    actions: [{ kind: 'delete', id: 'img-2', reason: 'duplicate' }],
    unchanged: 1,
  });
});

test('an active and a deactivated copy that fit: the active one is kept', () => {
  const a = desired('a');
  // The deactivated copy has the smaller id: being active still wins.
  const deact = copyOf(a, 'img-1', { status: 'deactivated' });
  const active = copyOf(a, 'img-2');
  for (const order of [
    [deact, active],
    [active, deact],
  ])
    assert.deepEqual(plan([a], order), {
      actions: [{ kind: 'delete', id: 'img-1', reason: 'duplicate' }],
      unchanged: 1,
    });
  // Only the deactivated copy fits: it is reactivated, the broken active one deleted.
  const broken = copyOf(a, 'img-0', { vmic_sha512: hex('other', 128) });
  assert.deepEqual(plan([a], [broken, deact]), {
    actions: [
      { kind: 'delete', id: 'img-0', reason: 'hash-mismatch' },
      { kind: 'reactivate', id: 'img-1', identifier: 'a', ops: [] },
    ],
    unchanged: 0,
  });
  // A copy kept for an update, a broken one beside it.
  const stale = copyOf(a, 'img-5', { vmic_catalog_sequence: '1' });
  assert.deepEqual(plan([a], [stale, queuedCopyOf(a, 'img-4')]), {
    actions: [
      { kind: 'delete', id: 'img-4', reason: 'incomplete' },
      {
        kind: 'update',
        id: 'img-5',
        identifier: 'a',
        ops: [{ op: 'replace', path: '/vmic_catalog_sequence', value: '3' }],
      },
    ],
    unchanged: 0,
  });
});

test('order: withdrawals first, then other deletes, then repairs, then uploads', () => {
  const broken = desired('x-broken');
  const stale = desired('y-stale');
  const fresh = desired('w-fresh');
  const good = desired('v-good');
  const gone = desired('gone');
  // Ids chosen so that id order would put the withdrawal last.
  const existing = [
    copyOf(gone, 'img-z'),
    copyOf(stale, 'img-b', { name: 'old name' }),
    queuedCopyOf(broken, 'img-a'),
    copyOf(good, 'img-c'),
    queuedCopyOf(gone, 'img-0'),
  ];
  const want = [broken, stale, fresh, good];
  assert.deepEqual(plan(want, existing, 'deactivate'), {
    actions: [
      { kind: 'deactivate', id: 'img-z', reason: 'not-deployable' },
      { kind: 'delete', id: 'img-0', reason: 'incomplete' },
      { kind: 'delete', id: 'img-a', reason: 'incomplete' },
      {
        kind: 'update',
        id: 'img-b',
        identifier: 'y-stale',
        ops: [{ op: 'replace', path: '/name', value: 'Image y-stale' }],
      },
      { kind: 'create', identifier: 'x-broken' },
      { kind: 'create', identifier: 'w-fresh' },
    ],
    unchanged: 1,
  });
  assert.deepEqual(plan(want, existing, 'delete'), {
    actions: [
      { kind: 'delete', id: 'img-z', reason: 'not-deployable' },
      { kind: 'delete', id: 'img-0', reason: 'incomplete' },
      { kind: 'delete', id: 'img-a', reason: 'incomplete' },
      {
        kind: 'update',
        id: 'img-b',
        identifier: 'y-stale',
        ops: [{ op: 'replace', path: '/name', value: 'Image y-stale' }],
      },
      { kind: 'create', identifier: 'x-broken' },
      { kind: 'create', identifier: 'w-fresh' },
    ],
    unchanged: 1,
  });
  // Same plan whatever order Glance lists the images in.
  assert.deepEqual(
    plan(want, [...existing].reverse(), 'deactivate'),
    plan(want, existing, 'deactivate'),
  );
});

test('a site image whose vmic_* key fields are missing is treated as not desired', () => {
  const a = desired('a');
  for (const missing of ['vmic_subscription', 'vmic_identifier', 'vmic_sha256']) {
    const i = copyOf(a, 'img-1', { [missing]: undefined });
    assert.deepEqual(plan([a], [i], 'deactivate'), {
      actions: [
        { kind: 'deactivate', id: 'img-1', reason: 'not-deployable' },
        { kind: 'create', identifier: 'a' },
      ],
      unchanged: 0,
    });
    assert.deepEqual(plan([a], [i], 'delete').actions, [
      { kind: 'delete', id: 'img-1', reason: 'not-deployable' },
      { kind: 'create', identifier: 'a' },
    ]);
  }
  const bare = glanceImage({ id: 'img-2', status: 'active', vmic_site: SITE });
  assert.deepEqual(plan([], [bare]).actions, [
    { kind: 'deactivate', id: 'img-2', reason: 'not-deployable' },
  ]);
});

test('an image of another sha256, identifier or subscription is not a copy', () => {
  const a = desired('a');
  const other = [
    desired('a', { sha256: hex('new bytes', 64) }),
    desired('b'),
    desired('a', { subscription: 'sub-2' }),
  ];
  for (const o of other)
    assert.deepEqual(plan([a], [copyOf(o, 'img-1')]).actions, [
      { kind: 'deactivate', id: 'img-1', reason: 'not-deployable' },
      { kind: 'create', identifier: 'a' },
    ]);
});

test('keyOf: subscription, identifier and sha256, unambiguous', () => {
  const a = desired('a');
  assert.equal(keyOf(a), JSON.stringify(['sub-1', 'a', a.sha256]));
  assert.notEqual(
    keyOf({ subscription: 'a","b', identifier: 'c', sha256: 'd' }),
    keyOf({ subscription: 'a', identifier: 'b","c', sha256: 'd' }),
  );
});

test('patchFor: a vmic property the catalog no longer gives is removed; vmic_sha512 is kept', () => {
  const a = desired('a');
  const i = copyOf(a, 'img-1', { architecture: 'x86_64', vmic_old: 'x', other_tool: 'y' });
  const without = {
    ...a,
    properties: Object.fromEntries(
      Object.entries(a.properties).filter(([k]) => k !== 'architecture'),
    ),
  };
  assert.deepEqual(patchFor(i, without), [
    { op: 'remove', path: '/architecture' },
    { op: 'remove', path: '/vmic_old' },
  ]);
});
