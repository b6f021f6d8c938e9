// FsStore.copyWithin, which imports use to move staged files to their content-addressed keys: the copy is
// whole and independent of the source (deleting the source keeps it), a missing source is NOT_FOUND, and
// keys that would leave the root are refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isClaasError } from '../../../src/errors.js';
import { FsStore } from '../../../src/store/fs.js';

test('FsStore.copyWithin copies atomically and leaves no temp file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'claas-copy-'));
  try {
    const store = new FsStore(root);
    await store.put('.claas/staging/run/000001', { kind: 'bytes', data: Buffer.from('staged bytes') });
    await store.copyWithin('.claas/staging/run/000001', 'item/abc/file.bin');
    await store.delete(['.claas/staging/run/000001']);
    assert.equal((await store.readBytes('item/abc/file.bin'))?.toString(), 'staged bytes');
    assert.deepEqual(await readdir(join(root, '.claas', 'tmp')), []);
    await assert.rejects(store.copyWithin('missing', 'x'), (e: unknown) => isClaasError(e, 'NOT_FOUND'));
    await assert.rejects(store.copyWithin('item/abc/file.bin', '../outside'), (e: unknown) =>
      isClaasError(e, 'BAD_INPUT'),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
