// One sync step of `claas run` (src/run/sync.ts) on a folder store: the folder scenario (add, change,
// delete across polls; empty and missing folders held; audit entries); two sources offering one name are
// refused before anything is written; items no source lists are kept while a source has no listing and
// removed (after the confirming poll) once every source has one; maxDelete holds, --allow-delete confirms.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isClaasError } from '../../../src/errors.js';
import { FsStore } from '../../../src/store/fs.js';
import {
  SyncHarness,
  folderScenario,
  folderSource,
  originItems,
  runConfig,
  withWork,
} from '../../helpers/run-sync.js';

async function items(folder: string, names: string[]): Promise<void> {
  for (const name of names) {
    await mkdir(join(folder, name), { recursive: true });
    await writeFile(join(folder, name, 'data.txt'), `${name} content`);
  }
}

test('sync: a folder source added to, changed and deleted from across polls', () =>
  withWork((work) => folderScenario(new FsStore(join(work, 'origin')), work)));

test('sync: two sources offering one item name are refused, naming both; nothing is published', () =>
  withWork(async (work) => {
    const one = join(work, 'one');
    const two = join(work, 'two');
    await items(one, ['shared', 'a']);
    await items(two, ['shared', 'b']);
    const origin = new FsStore(join(work, 'origin'));
    const h = new SyncHarness(
      runConfig(join(work, 'c.yaml'), [folderSource(one), folderSource(two)]),
      origin,
      {
        CLAAS_CACHE_DIR: join(work, 'cache'),
      },
    );
    try {
      await assert.rejects(
        h.cycle(),
        (e: unknown) =>
          isClaasError(e, 'BAD_INPUT') &&
          e.message.includes('"shared"') &&
          e.message.includes(one) &&
          e.message.includes(two),
      );
      assert.equal((await originItems(origin)).version, 0);
      // Renamed in one: both sources merge into one version.
      await rm(join(two, 'shared'), { recursive: true });
      const merged = await h.cycle();
      assert.deepEqual(merged.outcome.version?.added, ['a', 'b', 'shared']);
      // A source whose poll fails still owns its items: the other may not take one over meanwhile.
      await rm(two, { recursive: true });
      await items(one, ['b']);
      await assert.rejects(
        h.cycle(),
        (e: unknown) => isClaasError(e, 'BAD_INPUT') && e.message.includes('"b"') && e.message.includes(two),
      );
    } finally {
      await h.close();
    }
  }));

test('sync: items no source lists are kept while a source has no listing, then removed after two polls', () =>
  withWork(async (work) => {
    const one = join(work, 'one');
    const two = join(work, 'two');
    await items(one, ['a', 'b', 'c']);
    await items(two, ['x']);
    const origin = new FsStore(join(work, 'origin'));
    const env = { CLAAS_CACHE_DIR: join(work, 'cache') };
    // A first configuration publishes a, b, c and x.
    const before = new SyncHarness(
      runConfig(join(work, 'c.yaml'), [folderSource(one), folderSource(two)]),
      origin,
      env,
    );
    await before.cycle();
    await before.close();
    assert.deepEqual(Object.keys((await originItems(origin)).items), ['a', 'b', 'c', 'x']);

    // A new process: the second folder is gone for now, so "x" (listed by no source) is kept.
    await rm(two, { recursive: true });
    const h = new SyncHarness(
      runConfig(join(work, 'c.yaml'), [folderSource(one), folderSource(two)]),
      origin,
      env,
    );
    try {
      for (const _ of [1, 2, 3]) {
        const step = await h.cycle();
        assert.equal(step.outcome.version, undefined);
        assert.match(step.outcome.verdicts[two]?.held ?? '', /listing failed/);
      }
      // Once every source lists something, "x" counts as the first source's: pending, then removed.
      await items(two, ['y']);
      const added = await h.cycle();
      assert.deepEqual(added.outcome.version?.added, ['y']);
      assert.deepEqual(added.outcome.verdicts[one]?.pending, ['x']);
      const removed = await h.cycle();
      assert.deepEqual(removed.outcome.version?.removed, ['x']);
      assert.deepEqual(Object.keys((await originItems(origin)).items), ['a', 'b', 'c', 'y']);
    } finally {
      await h.close();
    }
  }));

test('sync: maxDelete holds a mass removal until allowDelete confirms it', () =>
  withWork(async (work) => {
    const folder = join(work, 'templates');
    await items(folder, ['a', 'b', 'c', 'd']);
    const origin = new FsStore(join(work, 'origin'));
    const h = new SyncHarness(runConfig(join(work, 'c.yaml'), [folderSource(folder)]), origin, {
      CLAAS_CACHE_DIR: join(work, 'cache'),
    });
    try {
      await h.cycle();
      for (const name of ['b', 'c', 'd']) await rm(join(folder, name), { recursive: true });
      await h.cycle(); // pending
      const heldStep = await h.cycle();
      assert.equal(heldStep.outcome.version, undefined);
      assert.match(heldStep.outcome.verdicts[folder]?.held ?? '', /maxDelete \(50%\)/);
      assert.ok(heldStep.events.some((e) => e.type === 'held' && /allow-delete/.test(e.reason)));
      assert.deepEqual(Object.keys((await originItems(origin)).items), ['a', 'b', 'c', 'd']);
      h.allowDelete = true;
      const confirmed = await h.cycle();
      assert.deepEqual(confirmed.outcome.version?.removed, ['b', 'c', 'd']);
    } finally {
      await h.close();
    }
  }));
