// Against vcsim: a local library on its datastore, an item, two files uploaded through an update
// session and read back through a download session byte for byte (SHA-256), item lookups by name,
// and cleanup. Also: what vCenter reports for missing objects.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { isClaasError } from '../../../src/errors.js';
import {
  connectVcenter,
  createLocalLibrary,
  deleteLibrary,
  ensureItem,
  findItemByName,
  findLibraryByName,
  listLibraryItems,
  openDownloadSession,
  requireLibrary,
  uploadItemFiles,
} from '../../../src/vcenter/index.js';
import type { UploadProgress, VcenterApi } from '../../../src/vcenter/index.js';
import { firstRef, uniqueName, vcsimConnectOptions, vcsimSkip } from '../../helpers/vcsim.js';

const skip = vcsimSkip();

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function withApi(fn: (api: VcenterApi) => Promise<void>): Promise<void> {
  const api = await connectVcenter(vcsimConnectOptions());
  try {
    await fn(api);
  } finally {
    await api.logout();
  }
}

test(
  'local library, item, two files up through an update session and back through a download session',
  { skip },
  async () => {
    await withApi(async (api) => {
      const name = uniqueName('claas-local');
      const library = await createLocalLibrary(api, {
        name,
        description: 'claas test',
        datastoreId: firstRef('datastores').id,
      });
      try {
        assert.equal(library.type, 'LOCAL');
        assert.equal(library.name, name);
        assert.equal(library.description, 'claas test');
        assert.deepEqual(library.storageBackings, [
          { type: 'DATASTORE', datastoreId: firstRef('datastores').id },
        ]);
        assert.equal((await findLibraryByName(api, name))?.id, library.id);
        assert.equal(
          (await findLibraryByName(api, name.toUpperCase()))?.id,
          library.id,
          'names compare case-insensitively',
        );
        assert.equal((await requireLibrary(api, library.id)).id, library.id);
        assert.equal((await requireLibrary(api, name)).id, library.id);

        const { item, created } = await ensureItem(api, {
          libraryId: library.id,
          name: 'payload',
          description: 'two files',
          type: 'file',
        });
        assert.ok(created);
        assert.equal(item.libraryId, library.id);
        assert.equal((await ensureItem(api, { libraryId: library.id, name: 'payload' })).created, false);
        assert.equal((await findItemByName(api, library.id, 'payload'))?.id, item.id);
        assert.equal(await findItemByName(api, library.id, 'absent'), undefined);

        const big = randomBytes(3 * 1024 * 1024 + 17);
        const small = Buffer.from('hello from claas\n');
        const progress: UploadProgress[] = [];
        await uploadItemFiles(
          api,
          item.id,
          [
            // A stream, opened only when its turn comes, and a buffer.
            {
              name: 'disk.bin',
              size: big.length,
              sha256: sha256(big),
              open: () => Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
            },
            { name: 'notes.txt', size: small.length, sha256: sha256(small), open: () => small },
          ],
          { onProgress: (p) => progress.push(p), intervalMs: 50 },
        );
        assert.deepEqual(progress.at(-1), { file: 'notes.txt', bytes: small.length, size: small.length });
        assert.ok(progress.some((p) => p.file === 'disk.bin' && p.bytes === big.length));

        const files = await api.listItemFiles(item.id);
        assert.deepEqual(files.map((f) => [f.name, f.size]).sort(), [
          ['disk.bin', big.length],
          ['notes.txt', small.length],
        ]);
        const items = await listLibraryItems(api, library.id);
        assert.deepEqual(
          items.map((i) => i.name),
          ['payload'],
        );

        const session = await openDownloadSession(api, item.id, { intervalMs: 50 });
        try {
          assert.deepEqual(session.files.map((f) => f.name).sort(), ['disk.bin', 'notes.txt']);
          assert.equal(sha256(await readAll(await session.open('disk.bin'))), sha256(big));
          assert.equal(sha256(await readAll(await session.open('notes.txt'))), sha256(small));
          await assert.rejects(session.open('absent.bin'), (e: unknown) => isClaasError(e, 'NOT_FOUND'));
        } finally {
          await session.close();
        }

        await api.deleteItem(item.id);
        assert.deepEqual(await api.listItems(library.id), []);
      } finally {
        await deleteLibrary(api, library.id);
      }
      assert.equal(await findLibraryByName(api, name), undefined);
    });
  },
);

test(
  'an upload whose bytes do not match the announced SHA-256 fails and leaves the item as it was',
  { skip },
  async () => {
    await withApi(async (api) => {
      const library = await createLocalLibrary(api, {
        name: uniqueName('claas-integrity'),
        datastoreId: firstRef('datastores').id,
      });
      try {
        const { item } = await ensureItem(api, { libraryId: library.id, name: 'item' });
        const data = Buffer.from('actual bytes');
        await assert.rejects(
          uploadItemFiles(api, item.id, [
            { name: 'f.txt', size: data.length, sha256: sha256(Buffer.from('other')), open: () => data },
          ]),
          (e: unknown) => isClaasError(e, 'INTEGRITY'),
        );
        // A source shorter or longer than announced fails at once, not after a timeout.
        for (const size of [data.length + 5, data.length - 5]) {
          await assert.rejects(
            uploadItemFiles(api, item.id, [{ name: 'f.txt', size, open: () => Readable.from([data]) }]),
            (e: unknown) => isClaasError(e, 'INTEGRITY'),
          );
        }
        assert.deepEqual(await api.listItemFiles(item.id), [], 'nothing was committed');
      } finally {
        await deleteLibrary(api, library.id);
      }
    });
  },
);

test('missing libraries and items are NOT_FOUND naming the vCenter', { skip }, async () => {
  await withApi(async (api) => {
    await assert.rejects(api.getLibrary('00000000-0000-0000-0000-000000000000'), (e: unknown) => {
      assert.ok(isClaasError(e, 'NOT_FOUND'), String(e));
      assert.match(String((e as Error).message), new RegExp(api.server.replace(/[.]/g, '\\.')));
      return true;
    });
    await assert.rejects(requireLibrary(api, uniqueName('no-such-library')), (e: unknown) =>
      isClaasError(e, 'NOT_FOUND'),
    );
    await assert.rejects(api.getItem('00000000-0000-0000-0000-000000000000'), (e: unknown) =>
      isClaasError(e, 'NOT_FOUND'),
    );
  });
});
