// Unit tests for src/vcsp/diff.ts: version planning keeps unchanged items as they are and bumps
// exactly what changed.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isClaasError } from '../../../src/errors.js';
import { serializeJson } from '../../../src/vcsp/build.js';
import {
  planNextVersion,
  readPreviousFromSnapshot,
  type DesiredItem,
  type NextState,
  type PreviousState,
} from '../../../src/vcsp/diff.js';
import { parseItemsJson, parseLibJson, parseSnapshot } from '../../../src/vcsp/schema.js';
import { validateLibrary } from '../../../src/vcsp/validate.js';
import { LEGACY_LIB_ID, legacyItemsJson, legacyLibJson } from './fixtures.js';

const LIB_ID = 'urn:uuid:4a5e2c1d-0000-4000-8000-000000000001';
const T1 = new Date('2026-11-24T19:05:00.500Z');
const T2 = new Date('2026-11-25T08:00:00Z');
const T3 = new Date('2026-11-26T08:00:00Z');

const sha = (content: string): string => createHash('sha256').update(content).digest('hex');

function photon(disk = 'disk-v1', description = ''): DesiredItem {
  return {
    name: 'photon',
    description,
    type: 'vcsp.ovf',
    files: [
      { name: 'photon.ovf', size: 10822, sha256: sha('ovf') },
      { name: 'photon-disk1.vmdk', size: 734003200, sha256: sha(disk) },
    ],
  };
}

const ubuntu: DesiredItem = {
  name: 'ubuntu 24.04',
  description: 'server ISO',
  type: 'vcsp.iso',
  files: [{ name: 'ubuntu 24.04.iso', size: 2, sha256: sha('iso') }],
};

const toPrevious = (s: NextState): PreviousState => ({ lib: s.lib, items: s.items, hashes: s.hashes });

/** The version after `from` for the desired items, planned at `now`. */
function planAfter(from: NextState, items: DesiredItem[], now = T2): NextState {
  return planNextVersion({ previous: toPrevious(from), name: 'templates', items, now });
}

function first(): NextState {
  return planNextVersion({ name: 'templates', items: [ubuntu, photon()], now: T1, libraryId: LIB_ID });
}

function itemNamed(state: NextState, name: string) {
  const found = state.items.find((i) => i.name === name);
  assert.ok(found, `no item ${name}`);
  return found;
}

describe('planNextVersion: a new library', () => {
  const v1 = first();

  it('starts at version 1 with the given id and the current time', () => {
    assert.equal(v1.lib.version, '1');
    assert.equal(v1.lib.id, LIB_ID);
    assert.equal(v1.lib.created, '2026-11-24T19:05:00Z');
    assert.equal(v1.libChanged, true);
    assert.equal('description' in v1.lib, false);
  });

  it('makes a fresh id when none is given', () => {
    const other = planNextVersion({ name: 'x', items: [], now: T1 });
    assert.match(other.lib.id, /^urn:uuid:/);
    assert.notEqual(other.lib.id, planNextVersion({ name: 'x', items: [], now: T1 }).lib.id);
  });

  it('adds every item at version 1, sorted by name, with content-addressed hrefs', () => {
    assert.deepEqual(
      v1.items.map((i) => [i.name, i.version]),
      [
        ['photon', '1'],
        ['ubuntu 24.04', '1'],
      ],
    );
    const p = itemNamed(v1, 'photon');
    assert.deepEqual(p.files[1]?.hrefs, [`photon/${sha('disk-v1')}/photon-disk1.vmdk`]);
    assert.equal(p.files[1]?.generationNum, Math.floor(T1.getTime() / 1000));
    assert.equal(p.created, '2026-11-24T19:05:00Z');
    assert.equal(p.selfHref, 'photon/item.json');
    assert.equal(itemNamed(v1, 'ubuntu 24.04').selfHref, 'ubuntu%2024.04/item.json');
    assert.deepEqual(
      v1.changes.map((c) => [c.name, c.kind, c.toVersion, c.fromVersion]),
      [
        ['photon', 'added', 1, undefined],
        ['ubuntu 24.04', 'added', 1, undefined],
      ],
    );
  });

  it('lists every file as new, with decoded store keys, and hashes exactly the hrefs it references', () => {
    const isoHref = `ubuntu%2024.04/${sha('iso')}/ubuntu%2024.04.iso`;
    assert.deepEqual(
      v1.newFiles.map((f) => [f.itemName, f.key, f.href]),
      [
        ['photon', `photon/${sha('ovf')}/photon.ovf`, `photon/${sha('ovf')}/photon.ovf`],
        [
          'photon',
          `photon/${sha('disk-v1')}/photon-disk1.vmdk`,
          `photon/${sha('disk-v1')}/photon-disk1.vmdk`,
        ],
        ['ubuntu 24.04', `ubuntu 24.04/${sha('iso')}/ubuntu 24.04.iso`, isoHref],
      ],
    );
    assert.deepEqual(v1.newFiles[2]?.file, ubuntu.files[0]);
    assert.deepEqual(v1.hashes, {
      [`photon/${sha('ovf')}/photon.ovf`]: sha('ovf'),
      [`photon/${sha('disk-v1')}/photon-disk1.vmdk`]: sha('disk-v1'),
      [isoHref]: sha('iso'),
    });
  });

  it('writes a library that validates cleanly', () => {
    assert.deepEqual(validateLibrary(v1.lib, v1.items), []);
  });
});

describe('planNextVersion: from a previous version', () => {
  const v1 = first();

  it('changes nothing when nothing changed', () => {
    const v2 = planAfter(v1, [photon(), ubuntu]);
    assert.equal(v2.libChanged, false);
    assert.equal(v2.lib, v1.lib);
    assert.deepStrictEqual(v2.items, v1.items);
    v2.items.forEach((item, index) => assert.equal(item, v1.items[index]));
    assert.deepStrictEqual(v2.hashes, v1.hashes);
    assert.deepEqual(v2.newFiles, []);
    assert.deepEqual(
      v2.changes.map((c) => [c.kind, c.fromVersion, c.toVersion, c.reasons]),
      [
        ['unchanged', 1, 1, []],
        ['unchanged', 1, 1, []],
      ],
    );
  });

  it('changes nothing when the previous version was read back from a snapshot', () => {
    const text = serializeJson({
      format: 'claas.version/1',
      ...toPrevious(v1),
      committedAt: '2026-11-24T19:05:00Z',
    });
    const previous = readPreviousFromSnapshot(parseSnapshot(text, 'snapshot'));
    const v2 = planNextVersion({ previous, name: 'templates', items: [photon(), ubuntu], now: T2 });
    assert.equal(v2.libChanged, false);
    assert.deepStrictEqual(v2.lib, v1.lib);
    assert.deepStrictEqual(v2.items, v1.items);
    assert.equal(serializeJson(v2.items), serializeJson(v1.items));
  });

  it('bumps exactly the item whose file changed, and the library by one', () => {
    const v2 = planAfter(v1, [photon('disk-v2'), ubuntu]);
    const before = itemNamed(v1, 'photon');
    const after = itemNamed(v2, 'photon');
    assert.equal(v2.lib.version, '2');
    assert.equal(v2.lib.id, v1.lib.id);
    assert.equal(v2.lib.created, v1.lib.created);
    assert.equal(v2.libChanged, true);
    assert.equal(itemNamed(v2, 'ubuntu 24.04'), itemNamed(v1, 'ubuntu 24.04'));
    assert.equal(after.version, '2');
    assert.equal(after.id, before.id);
    assert.equal(after.created, before.created);
    assert.deepEqual(
      after.files[0]?.hrefs,
      before.files[0]?.hrefs,
      'the unchanged descriptor stays where it is',
    );
    assert.deepEqual(after.files[1]?.hrefs, [`photon/${sha('disk-v2')}/photon-disk1.vmdk`]);
    const generation = Math.floor(T2.getTime() / 1000);
    assert.deepEqual(
      after.files.map((f) => [f.etag, f.generationNum]),
      [
        ['2', generation],
        ['2', generation],
      ],
    );
    assert.equal((JSON.parse(after.metadata?.[0]?.value ?? '{}') as { version: string }).version, '2');
    assert.deepEqual(
      v2.changes.find((c) => c.name === 'photon'),
      {
        name: 'photon',
        kind: 'changed',
        reasons: ['file "photon-disk1.vmdk" content changed'],
        fromVersion: 1,
        toVersion: 2,
      },
    );
    assert.deepEqual(
      v2.newFiles.map((f) => f.href),
      [`photon/${sha('disk-v2')}/photon-disk1.vmdk`],
    );
    assert.equal(v2.hashes[`photon/${sha('disk-v1')}/photon-disk1.vmdk`], undefined);
    assert.equal(Object.keys(v2.hashes).length, 3);
    assert.deepEqual(validateLibrary(v2.lib, v2.items), []);
  });

  it('keeps generationNum going up even when the clock goes back', () => {
    const earlier = new Date(T1.getTime() - 3_600_000);
    const v2 = planAfter(v1, [photon('d2'), ubuntu], earlier);
    assert.equal(itemNamed(v2, 'photon').files[0]?.generationNum, Math.floor(T1.getTime() / 1000) + 1);
  });

  it('bumps the library when an item is removed', () => {
    const v2 = planAfter(v1, [photon()]);
    assert.equal(v2.lib.version, '2');
    assert.deepEqual(
      v2.items.map((i) => i.name),
      ['photon'],
    );
    assert.equal(v2.items[0], v1.items[0]);
    assert.deepEqual(v2.changes[1], {
      name: 'ubuntu 24.04',
      kind: 'removed',
      reasons: ['item removed'],
      fromVersion: 1,
    });
    assert.equal(Object.keys(v2.hashes).length, 2);
    assert.deepEqual(v2.newFiles, []);
  });

  it('bumps an item whose description changed, without new files', () => {
    const v2 = planAfter(v1, [photon('disk-v1', 'Photon OS 5'), ubuntu]);
    const after = itemNamed(v2, 'photon');
    assert.equal(after.version, '2');
    assert.equal(after.description, 'Photon OS 5');
    assert.deepEqual(v2.changes[0]?.reasons, ['description changed']);
    assert.deepEqual(v2.newFiles, []);
    assert.equal(v2.lib.version, '2');
  });

  it('bumps only the library when its description or name changes', () => {
    for (const [name, description] of [
      ['templates', 'golden images'],
      ['golden', undefined],
    ] as const) {
      const v2 = planNextVersion({
        previous: toPrevious(v1),
        name,
        description,
        items: [photon(), ubuntu],
        now: T2,
      });
      assert.equal(v2.libChanged, true);
      assert.equal(v2.lib.version, '2');
      assert.equal(v2.lib.name, name);
      assert.equal(v2.lib.description, description);
      v2.items.forEach((item, index) => assert.equal(item, v1.items[index]));
      assert.ok(v2.changes.every((c) => c.kind === 'unchanged'));
    }
  });

  it('reports added and removed files and a changed vApp flag', () => {
    const changed: DesiredItem = {
      ...photon(),
      isVappTemplate: true,
      files: [
        photon().files[0] as DesiredItem['files'][number],
        { name: 'photon.mf', size: 3, sha256: sha('mf') },
      ],
    };
    const v2 = planAfter(v1, [changed, ubuntu]);
    assert.deepEqual(v2.changes[0]?.reasons, [
      'vApp template flag changed',
      'file "photon.mf" added',
      'file "photon-disk1.vmdk" removed',
    ]);
    const metadata = JSON.parse(itemNamed(v2, 'photon').metadata?.[0]?.value ?? '{}') as Record<
      string,
      unknown
    >;
    assert.equal(metadata.isVappTemplate, 'true');
  });

  it('uploads bytes again when content returns to an older version', () => {
    const v2 = planAfter(v1, [photon('d2'), ubuntu]);
    const v3 = planAfter(v2, [photon(), ubuntu], T3);
    assert.deepEqual(
      v3.newFiles.map((f) => f.href),
      [`photon/${sha('disk-v1')}/photon-disk1.vmdk`],
    );
    assert.equal(itemNamed(v3, 'photon').version, '3');
    assert.equal(v3.lib.version, '3');
  });
});

describe('planNextVersion: adopting a make_vcsp_2018.py library', () => {
  const lib = parseLibJson(legacyLibJson, 'lib.json');
  const { items } = parseItemsJson(legacyItemsJson, 'items.json');
  const previous: PreviousState = {
    lib,
    items,
    hashes: { 'photon/photon.ovf': sha('ovf'), 'photon/photon-disk1.vmdk': sha('disk-v1') },
  };
  const adopt = (desired: DesiredItem, hashes = previous.hashes): NextState =>
    planNextVersion({ previous: { ...previous, hashes }, name: 'templates', items: [desired], now: T2 });

  it('keeps the library as it is when the content is the same', () => {
    const next = adopt(photon());
    assert.equal(next.libChanged, false);
    assert.equal(next.lib, lib);
    assert.equal(next.items[0], items[0]);
    assert.deepEqual(next.hashes, previous.hashes);
    assert.deepEqual(next.newFiles, []);
  });

  it('keeps adopted hrefs of unchanged files and content-addresses new content', () => {
    const next = adopt(photon('disk-v2'));
    const item = itemNamed(next, 'photon');
    assert.equal(item.id, items[0]?.id);
    assert.equal(item.created, '2024-03-01T10:15Z');
    assert.equal(item.version, '3');
    assert.equal(next.lib.id, LEGACY_LIB_ID);
    assert.equal(next.lib.version, '4');
    assert.equal(next.lib.created, '2024-03-01T10:15Z');
    assert.deepEqual(
      item.files.map((f) => [f.hrefs[0], f.etag]),
      [
        ['photon/photon.ovf', '3'],
        [`photon/${sha('disk-v2')}/photon-disk1.vmdk`, '3'],
      ],
    );
    assert.ok(item.files.every((f) => f.generationNum === Math.floor(T2.getTime() / 1000)));
    assert.deepEqual(
      next.newFiles.map((f) => f.key),
      [`photon/${sha('disk-v2')}/photon-disk1.vmdk`],
    );
  });

  it('treats a file without a recorded hash as changed', () => {
    const next = adopt(photon(), { 'photon/photon.ovf': sha('ovf') });
    assert.deepEqual(next.changes[0]?.reasons, ['file "photon-disk1.vmdk" has no recorded hash']);
    assert.deepEqual(
      next.newFiles.map((f) => f.href),
      [`photon/${sha('disk-v1')}/photon-disk1.vmdk`],
    );
  });
});

describe('planNextVersion: bad desired items', () => {
  const plan = (items: DesiredItem[]) => () => planNextVersion({ name: 'l', items, now: T1 });
  const isBadInput = (e: unknown) => isClaasError(e, 'BAD_INPUT');

  it('rejects unsafe, overlong, reserved and duplicate names', () => {
    for (const name of ['..', 'a/b', '', 'x'.repeat(81), '.claas', 'Items.JSON', 'lib.json']) {
      assert.throws(plan([{ ...ubuntu, name }]), isBadInput, name);
    }
    assert.throws(plan([ubuntu, { ...photon(), name: 'ubuntu 24.04' }]), isBadInput);
    assert.throws(plan([ubuntu, { ...photon(), name: 'Ubuntu 24.04' }]), isBadInput);
  });

  it('rejects unsafe and duplicate file names', () => {
    const file = { name: 'a', size: 1, sha256: sha('a') };
    assert.throws(plan([{ ...ubuntu, files: [{ ...file, name: '../a' }] }]), isBadInput);
    assert.throws(plan([{ ...ubuntu, files: [file, file] }]), isBadInput);
  });
});
