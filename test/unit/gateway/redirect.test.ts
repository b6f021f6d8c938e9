// The redirect decision (gateway.redirect): which requests may go to the store (GET of a file; never the
// VCSP documents, HEAD or requests that compare the gateway's ETags), and which replica they go to (the one
// the gateway reads the key from, only when redirect is on for it and its store can presign). Whole
// requests through a gateway on real Ceph: test/integration/gateway/redirect.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ClaasError } from '../../../src/errors.js';
import { isRedirectable } from '../../../src/gateway/multi/redirect.js';
import { LibraryReplicas } from '../../../src/gateway/multi/replicas.js';
import type { ReplicaSource } from '../../../src/gateway/multi/replicas.js';
import type { ObjectStore, StoredObject, StoreFeatures } from '../../../src/store/types.js';
import { snapshot } from './fixtures.js';

const FILE = `photon/${'a'.repeat(64)}/photon-disk1.vmdk`;

test('only GETs of files may be redirected', () => {
  const cases: [string, string, Record<string, string>, boolean][] = [
    ['GET', FILE, {}, true],
    ['GET', FILE, { range: 'bytes=0-99' }, true], // the client sends Range again to the store
    ['GET', 'tools/0123/tools.iso', { 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' }, true],
    ['GET', 'adopted/disk.vmdk', {}, true], // files adopted under their own names
    ['HEAD', FILE, {}, false],
    ['GET', 'lib.json', {}, false],
    ['GET', 'items-7.json', {}, false],
    ['GET', 'items.json', {}, false],
    ['GET', 'photon/item-3-0a1b2c3d.json', {}, false],
    ['GET', 'photon/ITEM.JSON', {}, false],
    ['GET', FILE, { 'if-none-match': '"abc"' }, false], // the gateway's ETags are not the store's
    ['GET', FILE, { 'if-range': '"abc"', range: 'bytes=5-' }, false],
    ['POST', FILE, {}, false],
    ['OPTIONS', FILE, {}, false],
  ];
  for (const [method, key, headers, expected] of cases) {
    assert.equal(
      isRedirectable({ method, key, headers }),
      expected,
      `${method} ${key} ${JSON.stringify(headers)}`,
    );
  }
});

/** A store holding some keys, with a presign feature when asked for. */
class Store implements ObjectStore {
  readonly kind = 'fs' as const;
  readonly features: StoreFeatures;
  constructor(
    readonly display: string,
    readonly keys: string[],
    presign: boolean,
  ) {
    this.features = presign
      ? { presign: { getUrl: async (key, s) => `https://${display}.example/${key}?expires=${s}` } }
      : {};
  }
  close(): void {}
  async head(key: string): Promise<StoredObject | undefined> {
    return this.keys.includes(key) ? { key, size: 3, mtime: new Date(0) } : undefined;
  }
  async *list(): AsyncIterable<StoredObject> {}
  async read(): Promise<Readable> {
    return Readable.from([Buffer.from('abc')]);
  }
  async readBytes(): Promise<Buffer | undefined> {
    return undefined;
  }
  async put(): Promise<void> {
    throw new ClaasError('BAD_INPUT', 'read-only');
  }
  async delete(): Promise<void> {
    throw new ClaasError('BAD_INPUT', 'read-only');
  }
  async probe() {
    return { exists: true, empty: false };
  }
}

async function library(sources: ReplicaSource[]): Promise<LibraryReplicas> {
  const lib = new LibraryReplicas('templates', sources, {
    refreshMs: 60_000,
    prober: async () => ({ libVersion: 1, complete: { version: 1, snapshot: snapshot(1) } }),
  });
  await lib.start();
  return lib;
}

test('the redirect goes to the replica the key is read from, when that replica allows it', async () => {
  const near = new Store('near', [FILE], true);
  const far = new Store('far', [FILE, 'only-far/x.iso'], true);
  const lib = await library([
    { name: 'near', store: near, redirect: { expiresSeconds: 900 } },
    { name: 'far', store: far },
  ]);
  try {
    assert.equal(lib.chosen()?.replica.name, 'near');
    const target = await lib.view().redirectTarget(FILE);
    assert.equal(target?.store, near);
    assert.equal(target?.expiresSeconds, 900);
    // Only the far replica holds it, and redirect is off there: served by the gateway.
    assert.equal(await lib.view().redirectTarget('only-far/x.iso'), undefined);
    // Missing everywhere: served by the gateway (which answers 404).
    assert.equal(await lib.view().redirectTarget('nowhere/x.iso'), undefined);
  } finally {
    lib.stop();
  }
});

test('no redirect from a store that cannot presign, nor when redirect is off for it', async () => {
  const local = new Store('local', [FILE], false);
  const lib = await library([{ name: 'local', store: local, redirect: { expiresSeconds: 60 } }]);
  const off = await library([{ name: 's3', store: new Store('s3', [FILE], true) }]);
  try {
    assert.equal(await lib.view().redirectTarget(FILE), undefined);
    assert.equal(await off.view().redirectTarget(FILE), undefined);
  } finally {
    lib.stop();
    off.stop();
  }
});
