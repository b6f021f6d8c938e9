// Tenants kept in the store (gateway.tenants: store): the tenants object under the control prefix is read
// with a size bound and parsed strictly (damaged or hostile objects are errors, never tenants), changes run
// under the control prefix's lock (none lost when several run at once), import refuses to overwrite, and the
// control prefix's layout and configuration checks. The stores here are local folders (FsStore): the
// ObjectStore contract is the same; test/integration/gateway-tenants-store.test.ts runs it on Ceph.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { isClaasError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/config/load.js';
import {
  CONTROL_TENANTS_KEY,
  activityKey,
  controlKeyPrefix,
  controlPrefixConflict,
  gatewayId,
  gatewayIdOfActivityKey,
  isControlKey,
  normalizeControlPrefix,
} from '../../../src/config/control-layout.js';
import {
  addTenant,
  MAX_TENANTS_BYTES,
  removeTenant,
  rotateTenant,
  verifyPassword,
} from '../../../src/gateway/multi/tenants.js';
import type { TenantsFile } from '../../../src/gateway/multi/tenants.js';
import { importTenants, readStoredTenants, storeTenants } from '../../../src/gateway/multi/tenants-store.js';

async function withStore(fn: (store: FsStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'claas-tstore-'));
  try {
    await fn(new FsStore(dir), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const hash = { N: 32768, r: 8, p: 1, salt: 'AAAAAAAAAAAAAAAAAAAAAA==', hash: 'A'.repeat(44) };
const tenant = (name: string, keyId: string, extra: Record<string, unknown> = {}) => ({
  name,
  libraries: ['templates'],
  keyId,
  scrypt: hash,
  created: '2026-12-01T00:00:00.000Z',
  ...extra,
});
const doc = (tenants: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ format: 'claas.tenants/1', tenants, ...extra });

test('a valid tenants object is read; a missing one is undefined', async () => {
  await withStore(async (store, dir) => {
    assert.equal(await readStoredTenants(store), undefined);
    await writeFile(join(dir, CONTROL_TENANTS_KEY), doc([tenant('acme', 'aaaaaaaa')]));
    const got = await readStoredTenants(store);
    assert.deepEqual(
      got?.file.tenants.map((t) => t.name),
      ['acme'],
    );
  });
});

test('damaged, foreign and hostile tenants objects are refused (BAD_INPUT), never read as tenants', async () => {
  const deep = `{"format":"claas.tenants/1","tenants":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  const cases: Record<string, string> = {
    'not JSON': '{"format": "claas.tenants/1", "tenants": [',
    empty: '',
    'another format': doc([], { format: 'claas.tenants/2' }),
    'a JSON array': '[]',
    'an unknown key': doc([], { extra: 1 }),
    '__proto__ at the top': '{"format":"claas.tenants/1","tenants":[],"__proto__":{"polluted":true}}',
    '__proto__ in a tenant': doc([{ ...tenant('acme', 'aaaaaaaa'), ['__proto__']: { polluted: true } }]),
    'a tenant with __proto__ JSON key': `{"format":"claas.tenants/1","tenants":[{"__proto__":{"polluted":true},"name":"acme","libraries":["templates"],"keyId":"aaaaaaaa","scrypt":${JSON.stringify(hash)},"created":"x"}]}`,
    'deep nesting': deep,
    'scrypt cost beyond the bound': doc([tenant('acme', 'aaaaaaaa', { scrypt: { ...hash, N: 2 ** 30 } })]),
    'scrypt cost below the floor': doc([tenant('acme', 'aaaaaaaa', { scrypt: { ...hash, N: 1024 } })]),
    'a bad key id': doc([tenant('acme', 'AAAA')]),
    'a name with a slash': doc([tenant('../x', 'aaaaaaaa')]),
    'the same name twice': doc([tenant('acme', 'aaaaaaaa'), tenant('ACME', 'bbbbbbbb')]),
    'a key id twice': doc([tenant('acme', 'aaaaaaaa'), tenant('globex', 'aaaaaaaa')]),
    'a huge salt': doc([tenant('acme', 'aaaaaaaa', { scrypt: { ...hash, salt: 'A'.repeat(10_000) } })]),
  };
  await withStore(async (store, dir) => {
    for (const [what, text] of Object.entries(cases)) {
      await writeFile(join(dir, CONTROL_TENANTS_KEY), text);
      await assert.rejects(
        readStoredTenants(store),
        (e) => isClaasError(e, 'BAD_INPUT'),
        `${what} must be refused`,
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
  });
});

test('an oversized tenants object is refused without being read whole', async () => {
  await withStore(async (store, dir) => {
    const big = Buffer.alloc(MAX_TENANTS_BYTES + 1, 0x20);
    await writeFile(join(dir, CONTROL_TENANTS_KEY), big);
    await assert.rejects(
      readStoredTenants(store),
      (e) => isClaasError(e, 'BAD_INPUT') && /larger|bytes/.test(e.message),
    );
  });
});

test('changes through the store: add, rotate, remove; parallel adds are all kept (the lock)', async () => {
  await withStore(async (store, dir) => {
    const backend = storeTenants(store);
    const first = await addTenant(backend, 'acme', ['templates']);
    const names = ['b1', 'b2', 'b3', 'b4'];
    await Promise.all(names.map((n) => addTenant(storeTenants(new FsStore(dir)), n, ['templates'])));
    const all = (await backend.read()).tenants.map((t) => t.name).sort();
    assert.deepEqual(all, ['acme', ...names]);
    const rotated = await rotateTenant(backend, 'acme');
    const stored = (await backend.read()).tenants.find((t) => t.name === 'acme')!;
    assert.equal(await verifyPassword(rotated.password, stored.scrypt), true);
    assert.equal(await verifyPassword(first.password, stored.scrypt), false);
    await removeTenant(backend, 'b2');
    assert.equal((await backend.read()).tenants.length, 4);
    // No lock entry is left behind.
    const left: string[] = [];
    for await (const o of store.list('.claas/lock/')) left.push(o.key);
    assert.deepEqual(left, []);
  });
});

test('import: into an empty store; refused when it has tenants unless replace; a damaged one only with replace', async () => {
  await withStore(async (store, dir) => {
    const file: TenantsFile = JSON.parse(doc([tenant('acme', 'aaaaaaaa')])) as TenantsFile;
    assert.deepEqual(await importTenants(store, file), { imported: 1, replaced: 0 });
    await assert.rejects(importTenants(store, file), (e) => isClaasError(e, 'CONFLICT'));
    const two: TenantsFile = JSON.parse(
      doc([tenant('x', 'xxxxxxxx'), tenant('y', 'yyyyyyyy')]),
    ) as TenantsFile;
    assert.deepEqual(await importTenants(store, two, { replace: true }), { imported: 2, replaced: 1 });
    await writeFile(join(dir, CONTROL_TENANTS_KEY), 'garbage');
    await assert.rejects(importTenants(store, file), (e) => isClaasError(e, 'BAD_INPUT'));
    await importTenants(store, file, { replace: true });
    assert.deepEqual(
      (await readStoredTenants(store))?.file.tenants.map((t) => t.name),
      ['acme'],
    );
  });
});

test('control layout: prefixes, keys, gateway ids', () => {
  assert.equal(normalizeControlPrefix('/claas-control/'), 'claas-control');
  assert.equal(normalizeControlPrefix('provider/ctl'), 'provider/ctl');
  for (const bad of ['', '/', '../x', 'a/../b', 'a b', 'x/./y']) {
    assert.throws(
      () => normalizeControlPrefix(bad),
      (e) => isClaasError(e, 'BAD_INPUT'),
      bad,
    );
  }
  assert.equal(controlPrefixConflict('claas-control', 'lib'), undefined);
  assert.equal(controlPrefixConflict('claas-control', 'claas-control-lib'), undefined);
  assert.match(controlPrefixConflict('lib/ctl', 'lib') ?? '', /inside the library prefix/);
  assert.match(
    controlPrefixConflict('claas-control', 'claas-control/lib') ?? '',
    /inside the control prefix/,
  );
  assert.match(controlPrefixConflict('claas-control', 'claas-control') ?? '', /inside/);
  assert.match(controlPrefixConflict('claas-control', '') ?? '', /whole bucket/);
  assert.equal(controlKeyPrefix('claas-control'), 'claas-control/');
  assert.equal(isControlKey('claas-control/tenants.json', 'claas-control'), true);
  assert.equal(isControlKey('claas-controlx/tenants.json', 'claas-control'), false);
  assert.equal(activityKey('web1-8443'), 'activity/web1-8443.json');
  assert.equal(gatewayIdOfActivityKey('activity/web1-8443.json'), 'web1-8443');
  assert.equal(gatewayIdOfActivityKey('activity/../x.json'), undefined);
  assert.equal(gatewayIdOfActivityKey('tenants.json'), undefined);
  assert.equal(gatewayId({}, 8443, 'web1.example.com'), 'web1.example.com-8443');
  assert.equal(gatewayId({}, 8443, 'we b/1'), 'we_b_1-8443');
  assert.equal(gatewayId({ id: 'east-a' }, 8443, 'x'), 'east-a');
});

const BASE = `library: templates
origin:
  location: s3://bucket/lib
  endpoint: http://127.0.0.1:7480
`;

test('configuration: gateway.tenants: store, gateway.controlPrefix, refused inside the library prefix', () => {
  const c = parseConfig(`${BASE}gateway:\n  tenants: store\n  id: east-a\n`, '/x/claas.yaml');
  assert.equal(c.gateway?.tenants, 'store');
  assert.equal(c.gateway?.id, 'east-a');
  assert.equal(c.gateway?.controlPrefix, undefined); // the default, claas-control
  const custom = parseConfig(
    `${BASE}gateway:\n  tenants: store\n  controlPrefix: /provider/ctl/\n`,
    '/x/c.yaml',
  );
  assert.equal(custom.gateway?.controlPrefix, 'provider/ctl');
  assert.equal(
    parseConfig(`${BASE}gateway:\n  tenants: t.json\n`, '/x/c.yaml').gateway?.tenants,
    '/x/t.json',
  );
  assert.throws(
    () => parseConfig(`${BASE}gateway:\n  tenants: store\n  controlPrefix: lib/ctl\n`, '/x/c.yaml'),
    (e) => isClaasError(e, 'BAD_INPUT') && /inside the library prefix/.test(JSON.stringify(e)),
  );
  assert.throws(
    () =>
      parseConfig(
        BASE.replace('s3://bucket/lib', 's3://bucket') + 'gateway:\n  tenants: store\n',
        '/x/c.yaml',
      ),
    (e) => isClaasError(e, 'BAD_INPUT') && /whole bucket/.test(JSON.stringify(e)),
  );
  assert.throws(
    () => parseConfig(BASE.replace('s3://bucket/lib', 's3://bucket/claas-control/lib'), '/x/c.yaml'),
    (e) => isClaasError(e, 'BAD_INPUT') && /inside the control prefix/.test(JSON.stringify(e)),
  );
  // A library at the bucket's root without tenants in the store stays as it was.
  assert.equal(parseConfig(BASE.replace('s3://bucket/lib', 's3://bucket'), '/x/c.yaml').library, 'templates');
});
