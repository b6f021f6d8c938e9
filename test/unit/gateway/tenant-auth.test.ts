// Tenant authentication: Basic credentials of user "vcsp" with a generated password, one scrypt check per
// candidate (a dummy one for unknown key ids), remembered passwords, reload forgets rotated passwords.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCredentials, TenantAuthenticator } from '../../../src/gateway/multi/tenant-auth.js';
import { hashPassword, newPassword } from '../../../src/gateway/multi/tenants.js';
import type { TenantRecord } from '../../../src/gateway/multi/tenants.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

async function tenant(name: string, keyId: string): Promise<{ record: TenantRecord; password: string }> {
  const password = newPassword(keyId);
  return {
    record: { name, libraries: ['templates'], keyId, scrypt: await hashPassword(password), created: 'now' },
    password,
  };
}

test('parseCredentials: only Basic, user vcsp, a generated password', () => {
  const pw = newPassword('abcd1234');
  assert.deepEqual(parseCredentials(undefined), { kind: 'none' });
  assert.deepEqual(parseCredentials(basic('vcsp', pw)), {
    kind: 'password',
    keyId: 'abcd1234',
    password: pw,
  });
  assert.deepEqual(parseCredentials(basic('admin', pw)), { kind: 'malformed' });
  assert.deepEqual(parseCredentials(basic('vcsp', 'hunter2')), { kind: 'malformed' });
  assert.deepEqual(parseCredentials(`Bearer ${pw}`), { kind: 'malformed' });
  assert.deepEqual(parseCredentials(`Basic ${'A'.repeat(5000)}`), { kind: 'malformed' });
  assert.deepEqual(parseCredentials('Basic !!!'), { kind: 'malformed' });
});

test('right password: the tenant; wrong or unknown: refused the same way; remembered after the first check', async () => {
  const a = await tenant('acme', 'aaaaaaaa');
  const b = await tenant('globex', 'bbbbbbbb');
  const auth = new TenantAuthenticator([a.record, b.record]);
  const ok = await auth.verify({ keyId: 'aaaaaaaa', password: a.password });
  assert.equal(ok.ok && ok.tenant.name, 'acme');
  assert.equal(auth.remembered({ keyId: 'aaaaaaaa', password: a.password })?.name, 'acme');
  assert.equal(auth.remembered({ keyId: 'aaaaaaaa', password: b.password }), undefined);
  // b's password presented with a's key id: one candidate (a), which does not match.
  assert.deepEqual(
    await auth.verify({ keyId: 'aaaaaaaa', password: b.password.replace('bbbbbbbb', 'aaaaaaaa') }),
    {
      ok: false,
      reason: 'bad-password',
    },
  );
  const unknown = newPassword('zzzzzzzz');
  const t0 = performance.now();
  assert.deepEqual(await auth.verify({ keyId: 'zzzzzzzz', password: unknown }), {
    ok: false,
    reason: 'bad-password',
  });
  const unknownMs = performance.now() - t0;
  const t1 = performance.now();
  await auth.verify({ keyId: 'bbbbbbbb', password: newPassword('bbbbbbbb') });
  const knownMs = performance.now() - t1;
  // Both ran one scrypt of the same cost (a dummy hash for the unknown key id).
  assert.ok(
    unknownMs > knownMs / 3 && unknownMs < knownMs * 3,
    `unknown ${unknownMs} ms vs known ${knownMs} ms`,
  );
});

test('reload: a rotated or removed tenant is forgotten at once', async () => {
  const a = await tenant('acme', 'aaaaaaaa');
  const auth = new TenantAuthenticator([a.record]);
  assert.equal((await auth.verify({ keyId: 'aaaaaaaa', password: a.password })).ok, true);
  const rotated = { ...a.record, scrypt: await hashPassword(newPassword('aaaaaaaa')) };
  auth.setTenants([rotated]);
  assert.equal(auth.remembered({ keyId: 'aaaaaaaa', password: a.password }), undefined);
  assert.equal((await auth.verify({ keyId: 'aaaaaaaa', password: a.password })).ok, false);
  auth.setTenants([]);
  assert.equal(auth.tenantCount, 0);
});

test('a flood beyond the queue is refused as busy instead of queueing scrypt without bound', async () => {
  const a = await tenant('acme', 'aaaaaaaa');
  const auth = new TenantAuthenticator([a.record], { concurrency: 1, maxQueue: 2 });
  const results = await Promise.all(
    Array.from({ length: 6 }, () => auth.verify({ keyId: 'aaaaaaaa', password: newPassword('aaaaaaaa') })),
  );
  const busy = results.filter((r) => !r.ok && r.reason === 'busy').length;
  assert.ok(busy >= 2, `busy: ${busy}`);
});
