// Garbage collection keeps every file a version within the grace period references, removes what only
// dead versions referenced, and never touches files it did not write.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { publish } from '../../../src/publish/publish.js';
import { collectGarbage, keysOfSnapshot } from '../../../src/publish/gc.js';
import { readSnapshot } from '../../../src/publish/state.js';
import { withTempDir } from '../../helpers/cli.js';
import { textItem } from '../../helpers/source-item.js';

async function keys(store: FsStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list('')) if (!o.key.startsWith('.claas/')) out.push(o.key);
  return out.sort();
}

test('superseded files survive the grace period, then go; foreign files are never touched', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const hour = 3600_000;
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const at = (ms: number) => () => new Date(t0 + ms);

    await publish(
      { items: [await textItem(dir, 'a', 'one')], defaultName: 'lib' },
      { store, now: at(0), noGc: true },
    );
    const v1Keys = await keys(store);
    await store.put('notes-from-admin.txt', { kind: 'bytes', data: Buffer.from('mine') });

    await publish(
      { items: [await textItem(dir, 'a', 'two')], defaultName: 'lib' },
      { store, now: at(hour), noGc: true },
    );
    const v2Keys = await keys(store);

    // Within the grace period (24h) after v2's commit, v1's files stay: a subscriber may be mid-sync.
    const early = await collectGarbage(store, { graceMs: 24 * hour, now: new Date(t0 + 2 * hour) });
    assert.deepEqual(early.deleted, []);
    assert.deepEqual(early.liveVersions, [2, 1]);
    for (const k of v1Keys) assert.ok((await store.head(k)) !== undefined, `${k} must still exist`);

    // After it, what only v1 referenced goes; v2 and the admin's file stay.
    const late = await collectGarbage(store, { graceMs: 24 * hour, now: new Date(t0 + 26 * hour) });
    const refs1 = keysOfSnapshot((await readSnapshot(store, 1))!);
    const refs2 = keysOfSnapshot((await readSnapshot(store, 2))!);
    const onlyV1 = [...refs1].filter((k) => !refs2.has(k));
    assert.deepEqual([...late.deleted].sort(), onlyV1.sort());
    for (const k of late.deleted)
      assert.ok(onlyV1.includes(k), `${k} was deleted but v1 is not its only user`);
    assert.ok((await store.head('notes-from-admin.txt')) !== undefined);
    const left = await keys(store);
    for (const k of refs2) assert.ok(left.includes(k), `${k} (v2) must stay`);
    assert.ok(v2Keys.length > left.length);
  });
});
