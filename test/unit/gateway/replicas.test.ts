// Replica choice with fake stores: the nearest reachable replica with a complete version is served as that
// version (lib.json synthesised from its snapshot when the replica's own lib.json is ahead of its files);
// failover when it is unreachable, with backoff; no going back to an older version; files fall through to
// the next replica; request failures mark a replica down.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ClaasError } from '../../../src/errors.js';
import { LibraryReplicas } from '../../../src/gateway/multi/replicas.js';
import type { ProbeResult } from '../../../src/gateway/multi/replicas.js';
import type { ObjectStore, StoredObject } from '../../../src/store/types.js';
import { snapshot } from './fixtures.js';

class FakeStore implements ObjectStore {
  readonly kind = 'fs' as const;
  readonly objects = new Map<string, Buffer>();
  readonly features = {};
  down = false;
  calls = 0;
  constructor(readonly display: string) {}
  close(): void {}
  private check(): void {
    this.calls += 1;
    if (this.down) throw new ClaasError('UNREACHABLE', `${this.display} is down`);
  }
  async head(key: string): Promise<StoredObject | undefined> {
    this.check();
    const b = this.objects.get(key);
    return b === undefined ? undefined : { key, size: b.length, mtime: new Date(0) };
  }
  async *list(): AsyncIterable<StoredObject> {
    this.check();
  }
  async read(key: string): Promise<Readable> {
    this.check();
    const b = this.objects.get(key);
    if (b === undefined) throw new ClaasError('NOT_FOUND', `${key} missing`);
    return Readable.from([b]);
  }
  async readBytes(key: string): Promise<Buffer | undefined> {
    this.check();
    return this.objects.get(key);
  }
  async put(): Promise<void> {
    throw new Error('read-only');
  }
  async delete(): Promise<void> {
    throw new Error('read-only');
  }
  async probe() {
    return { exists: true, empty: false };
  }
}

/** What each fake replica holds: lib.json's version and the newest complete version. */
type Holding = { lib: number; complete?: number };

function setup(
  held: Record<string, Holding>,
  opts: { refreshMs?: number; minBackoffMs?: number; indexed?: boolean } = {},
) {
  const stores = Object.fromEntries(Object.keys(held).map((n) => [n, new FakeStore(n)]));
  const probes: string[] = [];
  const lib = new LibraryReplicas(
    'templates',
    Object.keys(held).map((name) => ({ name, store: stores[name]! })),
    {
      refreshMs: opts.refreshMs ?? 60_000,
      minBackoffMs: opts.minBackoffMs ?? 60_000,
      prober: async (store): Promise<ProbeResult> => {
        probes.push(store.display);
        const s = store as FakeStore;
        if (s.down) throw new ClaasError('UNREACHABLE', `${s.display} is down`);
        const h = held[s.display]!;
        const index = new Map(
          [...s.objects].map(([key, b]) => [key, { key, size: b.length, mtime: new Date(0) }]),
        );
        return {
          libVersion: h.lib,
          ...(opts.indexed === true ? { index } : {}),
          ...(h.complete === undefined
            ? {}
            : { complete: { version: h.complete, snapshot: snapshot(h.complete) } }),
        };
      },
    },
  );
  return { lib, stores, probes };
}

async function servedLib(lib: LibraryReplicas): Promise<{ version: string; replica?: string }> {
  const view = lib.view();
  const bytes = await view.readBytes('lib.json');
  await view.head('lib.json');
  return {
    version: (JSON.parse(bytes!.toString()) as { version: string }).version,
    ...(view.replica ? { replica: view.replica } : {}),
  };
}

test('the nearest replica is served as its newest complete version, even when its lib.json is ahead', async () => {
  const { lib } = setup({ west: { lib: 5, complete: 4 }, origin: { lib: 5, complete: 5 } });
  await lib.start();
  try {
    assert.deepEqual(await servedLib(lib), { version: '4', replica: 'west' });
    const view = lib.view();
    const meta = await view.head('lib.json');
    assert.equal(
      meta?.mtime.toISOString(),
      '2026-01-01T00:04:00.000Z',
      'Last-Modified = commit time of the version',
    );
    const bytes = await view.readBytes('lib.json');
    assert.equal(meta?.size, bytes?.length);
    assert.equal(
      bytes?.toString(),
      `${JSON.stringify(snapshot(4).lib, null, 2)}\n`,
      'the bytes the publisher wrote',
    );
  } finally {
    lib.stop();
  }
});

test('a replica receiving a new version keeps the previous one until the new one is complete', async () => {
  const held: Record<string, Holding> = { west: { lib: 1, complete: 1 }, origin: { lib: 1, complete: 1 } };
  const { lib } = setup(held);
  await lib.start();
  try {
    assert.equal((await servedLib(lib)).version, '1');
    held.origin = { lib: 2, complete: 2 };
    held.west = { lib: 2, complete: 1 }; // lib.json arrived, a file did not
    await lib.probeAll();
    assert.deepEqual(await servedLib(lib), { version: '1', replica: 'west' });
    held.west = { lib: 2, complete: 2 };
    await lib.probeAll();
    assert.deepEqual(await servedLib(lib), { version: '2', replica: 'west' });
  } finally {
    lib.stop();
  }
});

test('failover to the next replica when the nearest is unreachable; back once it has caught up', async () => {
  const held: Record<string, Holding> = { west: { lib: 1, complete: 1 }, origin: { lib: 2, complete: 2 } };
  const { lib, stores } = setup(held);
  await lib.start();
  try {
    assert.deepEqual(await servedLib(lib), { version: '1', replica: 'west' });
    stores.west!.down = true;
    await lib.probeAll();
    assert.deepEqual(await servedLib(lib), { version: '2', replica: 'origin' });
    // west is back but still at version 1: serving it would take subscribers back a version.
    stores.west!.down = false;
    await lib.probeAll();
    assert.equal(lib.replicas[0]!.reachable, true);
    assert.deepEqual(await servedLib(lib), { version: '2', replica: 'origin' });
    held.west = { lib: 2, complete: 2 };
    await lib.probeAll();
    assert.deepEqual(await servedLib(lib), { version: '2', replica: 'west' });
  } finally {
    lib.stop();
  }
});

test('no complete version anywhere: lib.json is unavailable (503), not a broken library', async () => {
  const { lib } = setup({ west: { lib: 1 }, origin: { lib: 1 } });
  await lib.start();
  try {
    assert.equal(lib.chosen(), undefined);
    await assert.rejects(
      lib.view().head('lib.json'),
      (e) => e instanceof ClaasError && e.code === 'UNREACHABLE',
    );
  } finally {
    lib.stop();
  }
});

test('files: chosen replica first, then the others; a failing replica is marked down at once', async () => {
  const { lib, stores } = setup({ west: { lib: 2, complete: 2 }, origin: { lib: 2, complete: 2 } });
  await lib.start();
  try {
    stores.west!.objects.set('a/f.vmdk', Buffer.from('west bytes'));
    stores.origin!.objects.set('a/f.vmdk', Buffer.from('origin byte'));
    stores.origin!.objects.set('b/only-origin.iso', Buffer.from('iso'));
    let view = lib.view();
    assert.equal((await view.head('a/f.vmdk'))?.size, 10);
    assert.equal(view.replica, 'west');
    view = lib.view();
    assert.equal((await view.readBytes('b/only-origin.iso'))?.toString(), 'iso');
    assert.equal(view.replica, 'origin', 'a key the chosen replica lacks comes from the next one');
    view = lib.view();
    assert.equal(await view.head('nothing/here'), undefined, 'missing everywhere: 404');

    stores.west!.down = true;
    view = lib.view();
    assert.equal((await view.head('a/f.vmdk'))?.size, 11);
    assert.equal(view.replica, 'origin');
    assert.equal(lib.replicas[0]!.reachable, false, 'the request marked west down');
    assert.equal(lib.chosen()?.replica.name, 'origin');
    const before = stores.west!.calls;
    await lib.view().head('a/f.vmdk');
    assert.equal(stores.west!.calls, before, 'a replica marked down is not asked again');

    stores.origin!.down = true;
    await assert.rejects(
      lib.view().head('a/f.vmdk'),
      (e) => e instanceof ClaasError && e.code === 'UNREACHABLE',
    );
  } finally {
    lib.stop();
  }
});

test('a read that fails after head continues on another replica with the same size', async () => {
  const { lib, stores } = setup({ west: { lib: 1, complete: 1 }, origin: { lib: 1, complete: 1 } });
  await lib.start();
  try {
    stores.west!.objects.set('a/f', Buffer.from('same'));
    stores.origin!.objects.set('a/f', Buffer.from('same'));
    const view = lib.view();
    await view.head('a/f');
    stores.west!.down = true;
    const stream = await view.read('a/f');
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'same');
    assert.equal(view.replica, 'origin');
  } finally {
    lib.stop();
  }
});

test('probes back off exponentially while a replica fails', async () => {
  const t0 = Date.now();
  const { lib, stores, probes } = setup(
    { west: { lib: 1, complete: 1 }, origin: { lib: 1, complete: 1 } },
    { refreshMs: 60_000, minBackoffMs: 50 },
  );
  stores.west!.down = true;
  await lib.start();
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    const westProbes = probes.filter((p) => p === 'west').length;
    // 1 at start, then retries after 50, 100, 200, 400 ms (~750 ms): about 5, never one per tick.
    assert.ok(westProbes >= 4 && westProbes <= 7, `west probed ${westProbes} times in ${Date.now() - t0} ms`);
    assert.equal(probes.filter((p) => p === 'origin').length, 1, 'a healthy replica waits refreshMs');
    assert.ok((lib.replicas[0]!.failures ?? 0) >= 4);
    stores.west!.down = false;
    await lib.probeAll();
    assert.equal(lib.replicas[0]!.failures, 0);
    assert.equal(lib.chosen()?.replica.name, 'west');
  } finally {
    lib.stop();
  }
});

test('keys the last full probe listed need no HEAD; one removed since is found on another replica', async () => {
  const { lib, stores } = setup(
    { west: { lib: 1, complete: 1 }, origin: { lib: 1, complete: 1 } },
    { indexed: true },
  );
  const key = 'a/0000000000000000000000000000000000000000000000000000000000000000/f.vmdk';
  stores.west!.objects.set(key, Buffer.from('bytes'));
  stores.origin!.objects.set(key, Buffer.from('bytes'));
  await lib.start();
  try {
    const before = stores.west!.calls;
    const view = lib.view();
    assert.equal((await view.head(key))?.size, 5);
    assert.equal(stores.west!.calls, before, 'no request for the metadata');
    // Garbage collection removed it at west after the listing: the read continues at origin.
    stores.west!.objects.delete(key);
    const bytes = await lib.view().readBytes(key);
    assert.equal(bytes?.toString(), 'bytes');
    assert.equal(lib.replicas[0]!.reachable, true, 'a missing key does not make a replica unreachable');
    assert.equal(lib.replicas[0]!.index?.has(key), false, 'and is forgotten');
  } finally {
    lib.stop();
  }
});

test('a replica whose probe hangs holds up neither the other replicas’ probes nor requests they can answer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const probed = { stuck: 0, healthy: 0 };
  let release: (() => void) | undefined;
  const lib = new LibraryReplicas(
    'templates',
    ['stuck', 'healthy'].map((name) => ({ name, store: new FakeStore(name) })),
    {
      refreshMs: 1_000,
      now: () => clock,
      prober: async (store): Promise<ProbeResult> => {
        const name = store.display as keyof typeof probed;
        probed[name] += 1;
        // From its second probe on, "stuck" never answers (a store that accepts and then stalls).
        if (name === 'stuck' && probed.stuck > 1) await new Promise<void>((r) => (release = r));
        return { libVersion: 1, complete: { version: 1, snapshot: snapshot(1) } };
      },
    },
  );
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  await lib.start();
  try {
    for (let round = 1; round <= 3; round++) {
      clock += 1_000;
      t.mock.timers.tick(1_000);
      await settle();
    }
    assert.equal(probed.stuck, 2, 'its hanging probe is not started again while it runs');
    assert.equal(probed.healthy, 4, 'the healthy replica is probed every refresh meanwhile');
    assert.deepEqual(await servedLib(lib), { version: '1', replica: 'stuck' });
  } finally {
    lib.stop();
    release?.();
  }
});

test('requests wait for the first probes only while no replica can serve', async () => {
  let release: (() => void) | undefined;
  const gate = new Promise<void>((r) => (release = r));
  const lib = new LibraryReplicas(
    'templates',
    ['stalled', 'fast'].map((name) => ({ name, store: new FakeStore(name) })),
    {
      prober: async (store): Promise<ProbeResult> => {
        if (store.display === 'stalled') await gate;
        return { libVersion: 1, complete: { version: 1, snapshot: snapshot(1) } };
      },
    },
  );
  const started = lib.start();
  try {
    await lib.settled(); // "fast" answered; "stalled" still probing
    assert.deepEqual(await servedLib(lib), { version: '1', replica: 'fast' });
  } finally {
    release?.();
    await started;
    lib.stop();
  }
});
