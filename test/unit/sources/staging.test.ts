// The import machinery without a network: the incremental decision (decideItem, the destination index, the
// import record), the checking stream, staging into a folder store and in parts on an S3-like store, and
// importLibrary end to end with a fake remote library (what is read, what is reused, what a failure leaves).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isClaasError } from '../../../src/errors.js';
import { FsStore } from '../../../src/store/fs.js';
import type { ObjectStore } from '../../../src/store/types.js';
import type { LibraryState } from '../../../src/publish/state.js';
import type { VersionSnapshot } from '../../../src/vcsp/types.js';
import {
  STAGING_PREFIX,
  StagingArea,
  addExpected,
  cleanStaleStaging,
  decideItem,
  destinationIndex,
  importRecordKey,
  parseImportRecord,
  recordedItems,
} from '../../../src/sources/staging.js';
import type { Expected, ImportRecord, RecordedItem } from '../../../src/sources/staging.js';
import { importLibrary } from '../../../src/sources/import.js';
import type { RemoteItem, RemoteLibrary } from '../../../src/sources/import.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const H1 = sha('one');
const H2 = sha('two');

async function withStore<T>(fn: (store: FsStore, root: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'claas-staging-'));
  try {
    return await fn(new FsStore(root), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function keys(store: ObjectStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

/** A stream of data in small chunks (so that hold-back and part boundaries are exercised). */
function chunked(data: Buffer, size = 100): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

// ---- the decision ----

function claasState(
  items: { name: string; files: { name: string; size: number; sha256: string }[] }[],
): LibraryState {
  const hashes: Record<string, string> = {};
  const snapshotItems = items.map((i) => ({
    created: '2026-01-01T00:00:00Z',
    description: '',
    version: '1',
    id: `urn:uuid:${i.name}`,
    name: i.name,
    properties: {},
    selfHref: `${i.name}/item-1.json`,
    type: 'vcsp.other' as const,
    files: i.files.map((f) => {
      const href = `${i.name}/${f.sha256}/${f.name}`;
      hashes[href] = f.sha256;
      return { name: f.name, size: f.size, etag: '1', generationNum: 1, hrefs: [href] };
    }),
  }));
  const lib = {
    vcspVersion: '2',
    version: '1',
    contentVersion: '1',
    name: 'lib',
    id: 'urn:uuid:lib',
    created: '2026-01-01T00:00:00Z',
    capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
    itemsHref: 'items-1.json',
  };
  const snapshot: VersionSnapshot = {
    format: 'claas.version/1',
    lib,
    items: snapshotItems,
    hashes,
    committedAt: '',
  };
  return { kind: 'claas', lib, snapshot };
}

const recorded = (items: RecordedItem[]) =>
  recordedItems({
    format: 'claas.import/1',
    source: { kind: 'vcsp', url: 'u', id: 'x' },
    updatedAt: '',
    items,
  });

test('decideItem: new, changed, gone from the destination, and unchanged items', () => {
  const index = destinationIndex(
    claasState([{ name: 'photon', files: [{ name: 'a.vmdk', size: 3, sha256: H1 }] }]),
  );
  const item = {
    id: 'i1',
    name: 'photon',
    fingerprint: 'version 2',
    files: [{ name: 'a.vmdk', size: 3, sha256: H1 }],
  };

  assert.deepEqual(decideItem({ id: 'i1', fingerprint: 'version 2' }, recorded([]), index), {
    action: 'fetch',
    reason: 'not imported before',
  });
  assert.deepEqual(decideItem({ id: 'i1', fingerprint: 'version 3' }, recorded([item]), index), {
    action: 'fetch',
    reason: 'changed at the source (version 2 -> version 3)',
  });
  const gone = { ...item, files: [{ name: 'a.vmdk', size: 3, sha256: H2 }] };
  assert.deepEqual(decideItem({ id: 'i1', fingerprint: 'version 2' }, recorded([gone]), index), {
    action: 'fetch',
    reason: '"a.vmdk" is no longer at the destination',
  });
  const resized = { ...item, files: [{ name: 'a.vmdk', size: 4, sha256: H1 }] };
  assert.equal(
    decideItem({ id: 'i1', fingerprint: 'version 2' }, recorded([resized]), index).action,
    'fetch',
  );

  const reuse = decideItem(
    { id: 'i1', fingerprint: 'version 2' },
    recorded([{ ...item, isVappTemplate: true }]),
    index,
  );
  assert.deepEqual(reuse, {
    action: 'reuse',
    isVappTemplate: true,
    files: [{ name: 'a.vmdk', size: 3, sha256: H1, origin: { kind: 'stored', key: `photon/${H1}/a.vmdk` } }],
  });
});

test('a renamed item whose files are unchanged is reused from the existing keys', () => {
  const index = destinationIndex(
    claasState([{ name: 'old-name', files: [{ name: 'f', size: 3, sha256: H1 }] }]),
  );
  const d = decideItem(
    { id: 'i1', fingerprint: 'v1' },
    recorded([
      { id: 'i1', fingerprint: 'v1', name: 'old-name', files: [{ name: 'f', size: 3, sha256: H1 }] },
    ]),
    index,
  );
  assert.equal(d.action, 'reuse');
  assert.deepEqual(d.action === 'reuse' ? d.files[0]!.origin : undefined, {
    kind: 'stored',
    key: `old-name/${H1}/f`,
  });
});

test('the destination index is empty for an empty or foreign library', () => {
  assert.equal(destinationIndex({ kind: 'empty' }).size, 0);
  const foreign = claasState([{ name: 'x', files: [{ name: 'f', size: 1, sha256: H1 }] }]);
  assert.equal(
    destinationIndex({
      kind: 'foreign',
      lib: foreign.kind === 'claas' ? foreign.lib : ({} as never),
      items: [],
      itemJsons: new Map(),
    }).size,
    0,
  );
});

test('import records: round trip, and a damaged record is ignored rather than trusted', () => {
  const record: ImportRecord = {
    format: 'claas.import/1',
    source: { kind: 'vcenter', url: 'https://vc library "x"', id: 'https://vc|lib-1' },
    updatedAt: '2026-01-01T00:00:00Z',
    items: [{ id: '__proto__', fingerprint: 'f', name: 'n', files: [{ name: 'a', size: 1, sha256: H1 }] }],
  };
  const parsed = parseImportRecord(JSON.stringify(record));
  assert.deepEqual(parsed, record);
  assert.equal(recordedItems(parsed).get('__proto__')?.name, 'n', 'ids are map keys, never object keys');
  assert.equal(parseImportRecord('{'), undefined);
  assert.equal(parseImportRecord(JSON.stringify({ ...record, format: 'other' })), undefined);
  const badHash = {
    ...record,
    items: [{ ...record.items[0], files: [{ name: 'a', size: 1, sha256: 'zz' }] }],
  };
  assert.equal(parseImportRecord(JSON.stringify(badHash)), undefined);
  const negative = {
    ...record,
    items: [{ ...record.items[0], files: [{ name: 'a', size: -1, sha256: H1 }] }],
  };
  assert.equal(parseImportRecord(JSON.stringify(negative)), undefined);
  assert.match(importRecordKey('vcsp', 'urn:uuid:1'), /^\.claas\/imports\/vcsp-[0-9a-f]{32}\.json$/);
  assert.notEqual(importRecordKey('vcsp', 'a'), importRecordKey('vcenter', 'a'));
});

test('addExpected merges agreeing digests and reports contradictions', () => {
  const list: Expected[] = [{ algo: 'sha256', hex: H1, from: 'href' }];
  assert.equal(addExpected(list, { algo: 'sha256', hex: H1.toUpperCase(), from: 'manifest m.mf' }), true);
  assert.equal(list[0]!.from, 'href and manifest m.mf');
  assert.equal(addExpected(list, { algo: 'sha256', hex: H2, from: 'manifest' }), false);
  assert.equal(
    addExpected(list, { algo: 'sha1', hex: 'not hex', from: 'x' }),
    true,
    'unusable digests are ignored',
  );
  assert.equal(list.length, 1);
});

// ---- staging ----

test('staging into a folder store: checked bytes, a stored origin, and cleanup', async () => {
  await withStore(async (store) => {
    const data = Buffer.alloc(1234, 7);
    const staging = new StagingArea(store);
    const staged = await staging.stage({
      where: 'item "x" file "f"',
      size: data.length,
      expected: [{ algo: 'sha256', hex: sha(data), from: 'href' }],
      describe: 'http://h/f',
      open: () => Promise.resolve(chunked(data)),
      keepBytes: 4096,
    });
    assert.equal(staged.sha256, sha(data));
    assert.equal(staged.origin.kind, 'stored');
    assert.ok(staged.bytes?.equals(data));
    const key = staged.origin.kind === 'stored' ? staged.origin.key : '';
    assert.ok(key.startsWith(STAGING_PREFIX));
    assert.ok((await readAll(await store.read(key))).equals(data));
    await staging.cleanup();
    assert.deepEqual(await keys(store, '.claas/staging/'), []);
    assert.deepEqual(await readdir(join(store.root, '.claas')), ['tmp'], 'the staging folder is gone too');
  });
});

test('staging refuses more bytes, fewer bytes and other bytes than declared, leaving nothing', async () => {
  await withStore(async (store) => {
    const data = Buffer.alloc(1000, 1);
    const cases: { size: number; expected: Expected[]; message: RegExp }[] = [
      { size: 900, expected: [], message: /sent more bytes, but the file is declared as 900 bytes/ },
      { size: 1100, expected: [], message: /sent only 1000 bytes, but the file is declared as 1100 bytes/ },
      {
        size: 1000,
        expected: [{ algo: 'sha1', hex: 'a'.repeat(40), from: 'manifest m.mf' }],
        message: /SHA1 of the bytes received is [0-9a-f]{40}, but manifest m\.mf says a{40}/,
      },
      {
        size: 1000,
        expected: [{ algo: 'sha256', hex: H1, from: 'its content-addressed href' }],
        message: /SHA256 of the bytes received is [0-9a-f]{64}, but its content-addressed href says/,
      },
    ];
    for (const c of cases) {
      const staging = new StagingArea(store);
      await assert.rejects(
        staging.stage({
          where: 'item "x" file "f"',
          size: c.size,
          expected: c.expected,
          describe: 'http://h/f',
          open: () => Promise.resolve(chunked(data)),
        }),
        (e: unknown) => {
          assert.ok(isClaasError(e, 'INTEGRITY'), String(e));
          assert.match((e as Error).message, /^item "x" file "f": /);
          assert.match((e as Error).message, c.message);
          return true;
        },
      );
      await staging.cleanup();
      assert.deepEqual(await keys(store), [], 'nothing visible in the store');
    }
  });
});

test('a source that breaks off mid-transfer is UNREACHABLE, not a crash', async () => {
  await withStore(async (store) => {
    const staging = new StagingArea(store);
    const broken = new Readable({
      read() {
        this.push(Buffer.alloc(100));
        this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      },
    });
    await assert.rejects(
      staging.stage({
        where: 'item "x" file "f"',
        size: 1000,
        expected: [],
        describe: 'http://h/f',
        open: () => Promise.resolve(broken),
      }),
      (e: unknown) => isClaasError(e, 'UNREACHABLE') && /ECONNRESET/.test((e as Error).message),
    );
    await staging.cleanup();
    assert.deepEqual(await keys(store), []);
  });
});

/** A folder store that says it is S3: staging must then put unknown-hash streams in parts. */
function s3Like(store: FsStore): ObjectStore {
  return {
    kind: 's3',
    display: store.display,
    features: {},
    close: () => {},
    head: (k) => store.head(k),
    list: (p) => store.list(p),
    read: (k, r) => store.read(k, r),
    readBytes: (k) => store.readBytes(k),
    put: (k, s, o) => {
      assert.equal(
        s.kind === 'stream' && o?.sha256 === undefined,
        false,
        'no S3 stream put without its SHA-256',
      );
      return store.put(k, s, o);
    },
    delete: (k) => store.delete(k),
    probe: () => store.probe(),
  };
}

test('on S3, a stream of unknown SHA-256 is staged in parts and read back whole', async () => {
  await withStore(async (fs) => {
    const store = s3Like(fs);
    const data = Buffer.from(Array.from({ length: 3500 }, (_, i) => i % 251));
    const staging = new StagingArea(store, { chunkBytes: 1000 });
    const staged = await staging.stage({
      where: 'item "x" file "f"',
      size: data.length,
      expected: [],
      describe: 'http://h/f',
      open: () => Promise.resolve(chunked(data, 300)),
    });
    assert.equal(staged.sha256, sha(data));
    assert.equal(staged.origin.kind, 'stream');
    assert.equal((await keys(store, '.claas/staging/')).length, 4);
    const back =
      staged.origin.kind === 'stream' ? await readAll(await staged.origin.open()) : Buffer.alloc(0);
    assert.ok(back.equals(data));

    const small = await staging.stage({
      where: 'item "x" file "g"',
      size: 10,
      expected: [],
      describe: 'http://h/g',
      open: () => Promise.resolve(chunked(data.subarray(0, 10))),
    });
    assert.equal(small.origin.kind, 'stored', 'one part: a stored origin');
    const empty = await staging.stage({
      where: 'item "x" file "e"',
      size: 0,
      expected: [],
      describe: 'http://h/e',
      open: () => Promise.resolve(Readable.from([])),
    });
    assert.equal(empty.sha256, sha(''));
    // A known SHA-256 streams into one object (the store can take it).
    const known = await staging.stage({
      where: 'item "x" file "k"',
      size: data.length,
      expected: [{ algo: 'sha256', hex: sha(data), from: 'href' }],
      describe: 'http://h/k',
      open: () => Promise.resolve(chunked(data)),
    });
    assert.equal(known.origin.kind, 'stored');
    await staging.cleanup();
    assert.deepEqual(await keys(store), []);
  });
});

test('stale staging keys of dead runs are removed, fresh ones kept', async () => {
  await withStore(async (store) => {
    await store.put('.claas/staging/dead/000001', { kind: 'bytes', data: Buffer.from('x') });
    const now = Date.now() + 25 * 3600 * 1000;
    assert.equal(await cleanStaleStaging(store, 24 * 3600 * 1000, now), 1);
    await store.put('.claas/staging/alive/000001', { kind: 'bytes', data: Buffer.from('x') });
    assert.equal(await cleanStaleStaging(store), 0);
    assert.deepEqual(await keys(store, '.claas/staging/'), ['.claas/staging/alive/000001']);
  });
});

// ---- importLibrary with a fake remote ----

interface FakeFile {
  name: string;
  data: Buffer;
  expected?: Expected[];
}

function fakeRemote(
  items: { id: string; name: string; fingerprint: string; files: FakeFile[] }[],
  opened: string[],
): RemoteLibrary {
  return {
    kind: 'vcsp',
    identity: 'urn:uuid:fake',
    url: 'http://fake/lib.json',
    name: 'fake',
    description: 'a fake library',
    warnings: [],
    items: items.map((i): RemoteItem => ({
      id: i.id,
      fingerprint: i.fingerprint,
      name: i.name,
      description: `${i.name} item`,
      type: 'vcsp.other',
      where: `item "${i.name}"`,
      content: () =>
        Promise.resolve({
          files: i.files.map((f) => ({
            name: f.name,
            size: f.data.length,
            expected: f.expected ?? [],
            describe: `http://fake/${i.name}/${f.name}`,
            open: () => {
              opened.push(`${i.name}/${f.name}`);
              return Promise.resolve(chunked(f.data));
            },
          })),
        }),
    })),
  };
}

test('importLibrary: everything, then nothing, then only the changed item; a failure changes nothing', async () => {
  await withStore(async (store, root) => {
    const opened: string[] = [];
    const a = {
      id: 'ia',
      name: 'a',
      fingerprint: 'version 1',
      files: [{ name: 'a.bin', data: Buffer.from('aaa') }],
    };
    const b = {
      id: 'ib',
      name: 'b',
      fingerprint: 'version 1',
      files: [{ name: 'b.bin', data: Buffer.from('bbb') }],
    };
    const first = await importLibrary(fakeRemote([a, b], opened), { store });
    assert.ok(first.publish.committed);
    // Items are fetched in parallel: which one opens first is not defined.
    assert.deepEqual([...opened].sort(), ['a/a.bin', 'b/b.bin']);
    assert.equal(first.publish.library.name, 'fake');
    const lib = JSON.parse(await readFile(join(root, 'lib.json'), 'utf8')) as { description: string };
    assert.equal(lib.description, 'a fake library');

    opened.length = 0;
    const second = await importLibrary(fakeRemote([a, b], opened), { store });
    assert.equal(second.publish.committed, false);
    assert.deepEqual(opened, [], 'nothing read from the source');
    assert.deepEqual(
      second.items.map((i) => i.action),
      ['reused', 'reused'],
    );

    const b2 = { ...b, fingerprint: 'version 2', files: [{ name: 'b.bin', data: Buffer.from('bbbb') }] };
    const third = await importLibrary(fakeRemote([a, b2], opened), { store });
    assert.ok(third.publish.committed);
    assert.deepEqual(opened, ['b/b.bin']);
    assert.deepEqual(third.download, { items: 1, files: 1, bytes: 4, dedupedFiles: 0 });

    // A file whose SHA-256 the source states and the destination holds is not downloaded.
    opened.length = 0;
    const c = {
      id: 'ic',
      name: 'c',
      fingerprint: 'version 1',
      files: [
        {
          name: 'copy.bin',
          data: Buffer.from('aaa'),
          expected: [{ algo: 'sha256' as const, hex: sha('aaa'), from: 'href' }],
        },
      ],
    };
    const fourth = await importLibrary(fakeRemote([a, b2, c], opened), { store });
    assert.deepEqual(opened, []);
    assert.equal(fourth.download.dedupedFiles, 1);

    // A bad item: nothing changes at the destination, and no staging is left.
    const before = await keys(store);
    const bad = {
      id: 'id',
      name: 'd',
      fingerprint: 'version 1',
      files: [
        {
          name: 'd.bin',
          data: Buffer.from('dd'),
          expected: [{ algo: 'sha256' as const, hex: H1, from: 'href' }],
        },
      ],
    };
    await assert.rejects(importLibrary(fakeRemote([a, b2, c, bad], opened), { store }), (e: unknown) =>
      isClaasError(e, 'INTEGRITY'),
    );
    assert.deepEqual(await keys(store), before);

    // Duplicate names and unsafe names are refused before anything is read.
    opened.length = 0;
    await assert.rejects(
      importLibrary(fakeRemote([a, { ...b, id: 'ib2', name: 'A' }], opened), { store }),
      /two items are named "a" and "A"/,
    );
    await assert.rejects(
      importLibrary(fakeRemote([{ ...a, name: '..' }], opened), { store }),
      /not a safe folder name/,
    );
    await assert.rejects(
      importLibrary(fakeRemote([{ ...a, name: '.claas' }], opened), { store }),
      /reserved/,
    );
    assert.deepEqual(opened, []);
  });
});
