// The copy engine (store/transfer.ts) with local folder stores: server-side copies between folders (a real
// copy, not a link) and within one (a link), resume skipping a present object, the conditional source refusing
// an object changed after planning (server-side and streamed), streamed reads retried whole from the failed
// part's first byte while other errors fail fast, a source longer than planned, the spool continuing a partial
// file, the sticky fallback of a batch, and abort. A "remote" store is a folder store without local paths.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ClaasError, isClaasError } from '../../../src/errors.js';
import { FsStore } from '../../../src/store/fs.js';
import { copyMany, copyObject } from '../../../src/store/transfer.js';
import type { TransferEvent } from '../../../src/store/transfer.js';
import type { ByteRange, ObjectStore, StoreFeatures } from '../../../src/store/types.js';
import { withTempDir } from '../../helpers/cli.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const FAST = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

interface Remote extends ObjectStore {
  reads: (ByteRange | undefined)[];
}

/**
 * The store seen as from elsewhere (no local paths, no server-side copy), optionally breaking the connection
 * of the n-th read after `after` bytes, or serving other bytes than stored.
 */
function remote(
  inner: FsStore,
  o: { breakRead?: { n: number; after: number }; serve?: Buffer; failWith?: unknown } = {},
): Remote {
  const reads: (ByteRange | undefined)[] = [];
  const features: StoreFeatures = {};
  return {
    kind: 'fs',
    display: `remote:${inner.root}`,
    features,
    reads,
    head: (k) => inner.head(k),
    list: (p, opts) => inner.list(p, opts),
    readBytes: (k) => inner.readBytes(k),
    put: (k, s, opts) => inner.put(k, s, opts),
    delete: (k) => inner.delete(k),
    probe: () => inner.probe(),
    close: () => undefined,
    async read(key, range) {
      reads.push(range);
      if (o.failWith !== undefined) throw o.failWith;
      if (o.serve !== undefined) return Readable.from([o.serve.subarray(range?.start ?? 0)]);
      const body = await inner.read(key, range);
      if (o.breakRead?.n !== reads.length) return body;
      const limit = o.breakRead.after;
      async function* broken() {
        let seen = 0;
        for await (const chunk of body as AsyncIterable<Buffer>) {
          if (seen + chunk.length > limit) {
            yield chunk.subarray(0, limit - seen);
            body.destroy();
            throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
          }
          seen += chunk.length;
          yield chunk;
        }
      }
      return Readable.from(broken());
    },
  };
}

async function stores(dir: string) {
  const a = new FsStore(join(dir, 'a'));
  const b = new FsStore(join(dir, 'b'));
  const data = randomBytes(3 * MiB + 11);
  await a.put('item/disk.vmdk', { kind: 'bytes', data });
  return { a, b, data, sha256: sha(data), size: data.length };
}

test('between folders: server-side, a copy of its own (not a link); within one folder: a link', async () => {
  await withTempDir(async (dir) => {
    const { a, b, data, sha256, size } = await stores(dir);
    const events: TransferEvent[] = [];
    const r = await copyObject(a, 'item/disk.vmdk', b, 'v1/item/disk.vmdk', {
      source: { size, sha256 },
      onEvent: (e) => events.push(e),
    });
    assert.equal(r.method, 'server-side');
    assert.equal(r.bytes, size);
    assert.ok((await b.readBytes('v1/item/disk.vmdk'))?.equals(data));
    const [from, to] = await Promise.all([
      stat(a.pathOf('item/disk.vmdk')),
      stat(b.pathOf('v1/item/disk.vmdk')),
    ]);
    assert.notEqual(from.ino, to.ino, 'an archive does not share its bytes with the library');
    assert.deepEqual(
      events.map((e) => e.type),
      ['start', 'progress', 'done'],
    );
    assert.deepEqual(await readdir(join(dir, 'b', '.claas', 'tmp')), []);

    const within = await copyObject(a, 'item/disk.vmdk', a, 'other/disk.vmdk', { source: { size, sha256 } });
    assert.equal(within.method, 'server-side');
    assert.equal((await stat(a.pathOf('other/disk.vmdk'))).ino, from.ino);
  });
});

test('resume: a present object is left alone; one of another size is copied again', async () => {
  await withTempDir(async (dir) => {
    const { a, b, data, sha256, size } = await stores(dir);
    await b.put('x', { kind: 'bytes', data });
    const before = (await stat(b.pathOf('x'))).ino;
    const present = await copyObject(a, 'item/disk.vmdk', b, 'x', {
      source: { size, sha256 },
      skipPresent: true,
    });
    assert.equal(present.method, 'present');
    assert.equal((await stat(b.pathOf('x'))).ino, before, 'not written again');

    await b.put('y', { kind: 'bytes', data: data.subarray(1) });
    const again = await copyObject(a, 'item/disk.vmdk', b, 'y', {
      source: { size, sha256 },
      skipPresent: true,
    });
    assert.equal(again.method, 'server-side');
    assert.ok((await b.readBytes('y'))?.equals(data));
  });
});

test('an object changed after planning is refused, server-side and streamed, and nothing lands', async () => {
  await withTempDir(async (dir) => {
    const { a, b, sha256, size } = await stores(dir);
    await a.put('item/disk.vmdk', { kind: 'bytes', data: randomBytes(size) }); // same size, other bytes
    for (const serverSide of [true, false]) {
      await assert.rejects(
        copyObject(a, 'item/disk.vmdk', b, 'v1/disk.vmdk', { source: { size, sha256 }, serverSide }),
        (e: unknown) => isClaasError(e, 'INTEGRITY'),
      );
      await assert.rejects(
        copyObject(remote(a), 'item/disk.vmdk', b, 'v1/disk.vmdk', { source: { size, sha256 }, serverSide }),
        (e: unknown) => isClaasError(e, 'INTEGRITY'),
      );
    }
    await assert.rejects(
      copyObject(a, 'item/disk.vmdk', b, 'v1/disk.vmdk', { source: { size: size + 1, sha256 } }),
      (e: unknown) => isClaasError(e, 'INTEGRITY') && /expected/.test(e.message),
    );
    assert.equal(await b.head('v1/disk.vmdk'), undefined);
  });
});

test('a streamed read that breaks is read again from the first byte of the failed part', async () => {
  await withTempDir(async (dir) => {
    const a = new FsStore(join(dir, 'a'));
    const b = new FsStore(join(dir, 'b'));
    const data = randomBytes(10 * MiB);
    await a.put('big', { kind: 'bytes', data });
    const from = remote(a, { breakRead: { n: 1, after: 9 * MiB } });
    const events: TransferEvent[] = [];
    const r = await copyObject(from, 'big', b, 'big', {
      source: { size: data.length, sha256: sha(data) },
      retry: FAST,
      onEvent: (e) => events.push(e),
    });
    assert.equal(r.method, 'stream');
    assert.equal(r.retries, 1);
    assert.deepEqual(from.reads, [undefined, { start: 8 * MiB }], 'the second part again, not the first');
    assert.ok((await b.readBytes('big'))?.equals(data));
    assert.equal(events.filter((e) => e.type === 'retry').length, 1);
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e.bytes] : []));
    assert.equal(
      progress.reduce((n, x) => n + x, 0),
      data.length,
    );
  });
});

test('errors that will not pass fail at once; a source longer than planned is refused', async () => {
  await withTempDir(async (dir) => {
    const { a, b, sha256, size } = await stores(dir);
    const missing = remote(a, { failWith: new ClaasError('NOT_FOUND', 'gone') });
    await assert.rejects(
      copyObject(missing, 'item/disk.vmdk', b, 'x', { source: { size, sha256 }, retry: FAST }),
      (e: unknown) => isClaasError(e, 'NOT_FOUND'),
    );
    assert.equal(missing.reads.length, 1);

    // A document (no SHA-256 recorded): size decides; more bytes than planned is a changed source.
    await a.put('items-1.json', { kind: 'bytes', data: Buffer.from('[1]') });
    const longer = remote(a, { serve: Buffer.from('[1, 2]') });
    await assert.rejects(
      copyObject(longer, 'items-1.json', b, 'items-1.json', { source: { size: 3 }, retry: FAST }),
      (e: unknown) => isClaasError(e, 'INTEGRITY') && /more bytes than planned/.test(e.message),
    );
    assert.equal(await b.head('items-1.json'), undefined);
    const ok = await copyObject(remote(a), 'items-1.json', b, 'items-1.json', { source: { size: 3 } });
    assert.equal(ok.method, 'stream');
    assert.equal((await b.readBytes('items-1.json'))?.toString(), '[1]');
  });
});

test('the spool continues a partial file with a ranged read and is removed after the copy', async () => {
  await withTempDir(async (dir) => {
    const { a, b, data, sha256, size } = await stores(dir);
    const spool = join(dir, 'spool');
    await mkdir(spool);
    await writeFile(join(spool, `${sha256}.part`), data.subarray(0, MiB));
    const from = remote(a);
    const r = await copyObject(from, 'item/disk.vmdk', b, 'disk.vmdk', {
      source: { size, sha256 },
      spool: { dir: spool, minSize: 1 },
    });
    assert.equal(r.method, 'stream');
    assert.deepEqual(from.reads, [{ start: MiB }]);
    assert.ok((await b.readBytes('disk.vmdk'))?.equals(data));
    assert.deepEqual(await readdir(spool), []);
  });
});

test('a batch: once a server-side copy is refused, the other objects stream at once; fallback reported once', async () => {
  await withTempDir(async (dir) => {
    const a = new FsStore(join(dir, 'a'));
    const inner = new FsStore(join(dir, 'b'));
    const files = ['one', 'two', 'three'].map((name) => ({ name, data: Buffer.from(`${name} bytes`) }));
    for (const f of files) await a.put(f.name, { kind: 'bytes', data: f.data });
    let attempts = 0;
    const b: ObjectStore = Object.assign(Object.create(inner) as FsStore, {
      features: {
        copy: {
          canCopyFrom: () => true,
          copyFrom: () => {
            attempts += 1;
            return Promise.reject(new ClaasError('FORBIDDEN', 'may not read the source'));
          },
        },
      },
    });
    const events: TransferEvent[] = [];
    const results = await copyMany(
      b,
      files.map((f) => ({
        from: a,
        fromKey: f.name,
        toKey: f.name,
        source: { size: f.data.length, sha256: sha(f.data) },
      })),
      { concurrency: 1, onEvent: (e) => events.push(e) },
    );
    assert.equal(attempts, 1);
    assert.deepEqual(
      results.map((r) => r.method),
      ['stream', 'stream', 'stream'],
    );
    assert.ok(results[0]!.fallback?.includes('may not read'));
    assert.equal(events.filter((e) => e.type === 'fallback').length, 1);
    for (const f of files) assert.ok((await inner.readBytes(f.name))?.equals(f.data));
  });
});

test('an aborted copy stops and writes nothing', async () => {
  await withTempDir(async (dir) => {
    const { a, b, sha256, size } = await stores(dir);
    const ctrl = new AbortController();
    ctrl.abort(new Error('stop'));
    await assert.rejects(
      copyObject(remote(a), 'item/disk.vmdk', b, 'x', { source: { size, sha256 }, signal: ctrl.signal }),
      /stop/,
    );
    assert.equal(await b.head('x'), undefined);
  });
});
