// Where an S3 library store keeps each key (store/s3-key-map.ts, issue 16): public keys under the library
// prefix, provider-private ones in the library's private area under the control prefix, the legacy place
// for reads of libraries written before, and listings that merge both in key order. The same behaviour on a
// real bucket is tested in test/integration/private-data.test.ts and test/integration/s3/store.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONTROL_PREFIX as CONFIG_DEFAULT } from '../../../src/config/control-layout.js';
import {
  PRIVATE_FAMILIES as LAYOUT_FAMILIES,
  isPrivateKey as layoutIsPrivate,
} from '../../../src/publish/layout.js';
import {
  DEFAULT_CONTROL_PREFIX,
  PRIVATE_FAMILIES,
  isPrivateKey,
  listingMayHoldPrivate,
} from '../../../src/store/private-keys.js';
import { S3KeyMap, mergeListings, privateAreaBase } from '../../../src/store/s3-key-map.js';
import type { StoredObject } from '../../../src/store/types.js';
import { defaultArchiveLocations } from '../../../src/archive/target.js';

const PUBLIC = [
  'lib.json',
  'items-3.json',
  'centos/item-2-0a1b2c3d.json',
  `centos/${'a'.repeat(64)}/disk.vmdk`,
  '.claas/versions/3.json',
  '.claasic/readme.txt',
];
const PRIVATE = [
  '.claas/audit/2026-12/x.json',
  '.claas/lock/t.json',
  '.claas/retain/3.json',
  '.claas/staging/run/file',
  '.claas/imports/src.json',
  '.claas/tmp/probe',
  '.claas/restore-pending.json',
  '.claas/mirror-lock/client-a/t.json',
  '.claas-archive/a1/.claas/archive.json',
  '.claas/some-new-family/x',
];

test('the families: store and layout agree, every family is private, public keys are not', () => {
  assert.equal(LAYOUT_FAMILIES, PRIVATE_FAMILIES);
  assert.equal(layoutIsPrivate, isPrivateKey);
  assert.equal(DEFAULT_CONTROL_PREFIX, CONFIG_DEFAULT, 'the store default is the configuration default');
  for (const f of PRIVATE_FAMILIES) assert.ok(isPrivateKey(`${f.prefix}x`), f.prefix);
  for (const k of PRIVATE) assert.ok(isPrivateKey(k), k);
  for (const k of PUBLIC) assert.ok(!isPrivateKey(k), k);
});

test('a library store maps public keys under its prefix and private ones to its private area', () => {
  const m = new S3KeyMap('tenants/lib', 'claas-control');
  assert.equal(m.privateBase, 'claas-control/libraries/tenants/lib/');
  assert.equal(privateAreaBase('ops/ctl', 'lib'), 'ops/ctl/libraries/lib/');
  for (const k of PUBLIC) {
    assert.equal(m.objectKey(k), `tenants/lib/${k}`, k);
    assert.equal(m.legacyKey(k), undefined, k);
  }
  for (const k of PRIVATE) {
    assert.equal(m.objectKey(k), `claas-control/libraries/tenants/lib/${k}`, k);
    assert.equal(m.legacyKey(k), `tenants/lib/${k}`, 'reads fall back to where an older claas wrote it');
    assert.ok(
      !m.objectKey(k).startsWith('tenants/lib/'),
      'outside the library prefix: no rule on it matches',
    );
  }
});

test('no private area: no relocation, at the bucket root, or for a store at or under the control prefix', () => {
  for (const m of [
    new S3KeyMap('lib', undefined),
    new S3KeyMap('', 'claas-control'),
    new S3KeyMap('claas-control', 'claas-control'),
    new S3KeyMap('claas-control/x', 'claas-control'),
  ]) {
    assert.equal(m.privateBase, undefined);
    assert.equal(m.objectKey('.claas/lock/t.json'), `${m.base}.claas/lock/t.json`);
    assert.equal(m.legacyKey('.claas/lock/t.json'), undefined);
    assert.deepEqual(m.places(''), [{ base: m.base, privateOnly: false }]);
  }
  assert.notEqual(new S3KeyMap('claas-controlled', 'claas-control').privateBase, undefined);
});

test('listings look at the private area only where a private key can be', () => {
  for (const p of ['', '.', '.claas', '.claas/', '.claas/audit/', '.claas/audit/2026-12/', '.claas-archive/'])
    assert.ok(listingMayHoldPrivate(p), p);
  for (const p of ['lib.json', 'centos/', 'items-', 'c']) assert.ok(!listingMayHoldPrivate(p), p);
  const m = new S3KeyMap('lib', 'claas-control');
  assert.deepEqual(m.places('.claas/lock/'), [
    { base: 'claas-control/libraries/lib/', privateOnly: true },
    { base: 'lib/', privateOnly: false },
  ]);
  assert.deepEqual(m.places('centos/'), [{ base: 'lib/', privateOnly: false }]);
});

async function* listing(keys: string[]): AsyncIterable<StoredObject> {
  for (const key of keys) yield { key, size: key.length, mtime: new Date(0), etag: `e-${key}` };
}

async function collect(it: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for await (const o of it) out.push(o);
  return out;
}

test('merged listings are in S3 key order (UTF-8 bytes) and a key in both comes from the first', async () => {
  const area = ['.claas/audit/b.json', '.claas/lock/t.json', '.claas/retain/3.json'];
  const prefix = [
    '.claas/audit/a.json',
    '.claas/lock/t.json',
    '.claas/versions/1.json',
    'centos/\uFF21.txt',
    'centos/\u{1F600}.txt',
    'lib.json',
  ];
  const merged = await collect(mergeListings([listing(area), listing(prefix)]));
  assert.deepEqual(
    merged.map((o) => o.key),
    [
      '.claas/audit/a.json',
      '.claas/audit/b.json',
      '.claas/lock/t.json',
      '.claas/retain/3.json',
      '.claas/versions/1.json',
      'centos/\uFF21.txt',
      'centos/\u{1F600}.txt',
      'lib.json',
    ],
  );
  // UTF-16 order would put the emoji (a surrogate pair, 0xD83D) before U+FF21; S3 orders by UTF-8 bytes.
  assert.ok(
    merged.findIndex((o) => o.key.includes('\uFF21')) < merged.findIndex((o) => o.key.includes('\u{1F600}')),
  );
  assert.equal(merged.filter((o) => o.key === '.claas/lock/t.json').length, 1);
  assert.deepEqual(await collect(mergeListings([listing([]), listing([])])), []);
});

test("the default archive location: an S3 library's private area; a folder or a root library as before", () => {
  const s3 = { kind: 's3' as const, bucket: 'b', prefix: 'tenants/lib', region: 'us-east-1' };
  const { current, legacy } = defaultArchiveLocations({ location: s3 });
  assert.deepEqual(current, { ...s3, prefix: 'claas-control/libraries/tenants/lib/.claas-archive' });
  assert.deepEqual(legacy, { ...s3, prefix: 'tenants/lib/.claas-archive' });
  const custom = defaultArchiveLocations({
    location: s3,
    config: { gateway: { controlPrefix: 'ops/ctl' } } as never,
  });
  assert.equal(
    custom.current.kind === 's3' && custom.current.prefix,
    'ops/ctl/libraries/tenants/lib/.claas-archive',
  );
  const root = defaultArchiveLocations({ location: { ...s3, prefix: '' } });
  assert.deepEqual(root.current, root.legacy);
  const fs = defaultArchiveLocations({ location: { kind: 'fs', path: '/srv/lib' } });
  assert.deepEqual(fs.current, { kind: 'fs', path: '/srv/lib/.claas-archive' });
});
