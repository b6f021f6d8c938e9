// What readLibraryState makes of a destination without lib.json: empty, claas's own keys only (a first
// publish under way or interrupted, e.g. after early uploads: publishing goes on there), or other data
// (refused, naming a key, so claas never writes into a prefix that holds something else).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isClaasError } from '../../../src/errors.js';
import { readLibraryState } from '../../../src/publish/state.js';
import { FsStore } from '../../../src/store/fs.js';

test('no lib.json: empty or only claas keys is "empty"; anything else is NOT_A_LIBRARY', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'claas-state-'));
  try {
    const store = new FsStore(dir);
    assert.deepEqual(await readLibraryState(store), { kind: 'empty' });
    const put = (key: string) => store.put(key, { kind: 'bytes', data: Buffer.from(key) });
    await put(`disk/${'a'.repeat(64)}/disk.vmdk`);
    await put('.claas/lock/x.json');
    assert.deepEqual(await readLibraryState(store), { kind: 'empty' });
    await put('notes.txt');
    await assert.rejects(
      readLibraryState(store),
      (e: unknown) => isClaasError(e, 'NOT_A_LIBRARY') && /notes\.txt/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
