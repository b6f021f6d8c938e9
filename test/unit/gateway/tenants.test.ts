// The tenants file: generated passwords stored only as scrypt hashes (N >= 2^15, random salt), mode 0600,
// atomic replacement; add / rotate / update / remove; concurrent changes under the lock; bad files refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addTenant,
  parseTenants,
  passwordKeyId,
  readTenants,
  removeTenant,
  rotateTenant,
  updateTenant,
  verifyPassword,
  SCRYPT_PARAMS,
} from '../../../src/gateway/multi/tenants.js';
import { isClaasError } from '../../../src/errors.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'claas-tenants-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('add: a generated password, stored only as a scrypt hash in a 0600 file', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tenants.json');
    const { tenant, password } = await addTenant(file, 'acme', ['templates', 'isos', 'templates']);
    assert.match(password, /^claas_[a-z0-9]{8}_[A-Za-z0-9_-]{32}$/);
    assert.equal(passwordKeyId(password), tenant.keyId);
    assert.deepEqual(tenant.libraries, ['templates', 'isos']);
    const text = await readFile(file, 'utf8');
    assert.ok(!text.includes(password), 'the password is not in the file');
    assert.ok(!text.includes(password.slice(15)), 'nor its secret part');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const stored = (await readTenants(file)).tenants[0]!;
    assert.ok(stored.scrypt.N >= 2 ** 15 && stored.scrypt.N === SCRYPT_PARAMS.N);
    assert.equal(Buffer.from(stored.scrypt.salt, 'base64').length, 16);
    assert.equal(await verifyPassword(password, stored.scrypt), true);
    // One character changed (a password that already ends in "x" gets a "y": 1 in 64 runs failed before).
    const wrong = `${password.slice(0, -1)}${password.endsWith('x') ? 'y' : 'x'}`;
    assert.equal(await verifyPassword(wrong, stored.scrypt), false);

    const other = await addTenant(file, 'globex', ['templates']);
    const both = await readTenants(file);
    assert.notEqual(both.tenants[0]!.scrypt.salt, both.tenants[1]!.scrypt.salt, 'random salt per tenant');
    assert.notEqual(other.tenant.keyId, tenant.keyId);

    await assert.rejects(addTenant(file, 'ACME', ['templates']), (e) => isClaasError(e, 'CONFLICT'));
    await assert.rejects(addTenant(file, '../x', ['templates']), (e) => isClaasError(e, 'BAD_INPUT'));
    await assert.rejects(addTenant(file, 'x', []), (e) => isClaasError(e, 'BAD_INPUT'));
  });
});

test('rotate: a new password and key id; the old password no longer verifies', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tenants.json');
    const first = await addTenant(file, 'acme', ['templates']);
    const second = await rotateTenant(file, 'acme');
    assert.notEqual(second.password, first.password);
    assert.notEqual(second.tenant.keyId, first.tenant.keyId);
    const stored = (await readTenants(file)).tenants[0]!;
    assert.ok(stored.rotated !== undefined);
    assert.equal(stored.created, first.tenant.created);
    assert.equal(await verifyPassword(second.password, stored.scrypt), true);
    assert.equal(await verifyPassword(first.password, stored.scrypt), false);
    await assert.rejects(rotateTenant(file, 'nobody'), (e) => isClaasError(e, 'NOT_FOUND'));
  });
});

test('update and remove', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tenants.json');
    const a = await addTenant(file, 'acme', ['templates']);
    await addTenant(file, 'globex', ['templates']);
    const updated = await updateTenant(file, 'acme', ['isos']);
    assert.deepEqual(updated.libraries, ['isos']);
    const stored = (await readTenants(file)).tenants.find((t) => t.name === 'acme')!;
    assert.equal(await verifyPassword(a.password, stored.scrypt), true, 'the password stays');
    await removeTenant(file, 'acme');
    assert.deepEqual(
      (await readTenants(file)).tenants.map((t) => t.name),
      ['globex'],
    );
    await assert.rejects(removeTenant(file, 'acme'), (e) => isClaasError(e, 'NOT_FOUND'));
  });
});

test('concurrent changes do not lose each other (lock file)', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tenants.json');
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => addTenant(file, n, ['templates'])));
    assert.deepEqual((await readTenants(file)).tenants.map((t) => t.name).sort(), ['a', 'b', 'c', 'd']);
  });
});

test('a missing file is empty; a broken one is refused with its path', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tenants.json');
    assert.deepEqual((await readTenants(file)).tenants, []);
    await writeFile(file, '{ not json');
    await assert.rejects(readTenants(file), (e) => isClaasError(e, 'BAD_INPUT') && e.input === file);
    assert.throws(
      () => parseTenants('{"format":"claas.tenants/1","tenants":[{"name":"x"}]}', 'f'),
      (e) => isClaasError(e, 'BAD_INPUT'),
    );
    const weak = {
      format: 'claas.tenants/1',
      tenants: [
        {
          name: 'x',
          libraries: ['l'],
          keyId: 'abcdefgh',
          scrypt: { N: 1024, r: 8, p: 1, salt: 'AAAAAAAAAAAAAAAAAAAAAA==', hash: 'A'.repeat(44) },
          created: 'now',
        },
      ],
    };
    assert.throws(
      () => parseTenants(JSON.stringify(weak), 'f'),
      (e) => isClaasError(e, 'BAD_INPUT'),
      'N below 2^15',
    );
  });
});
