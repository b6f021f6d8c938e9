// The admin API (docs/api.md) of the in-process gateway over libraries in local folders: who may open it
// (admin only; off without an admin password; throttled), what each endpoint answers, the replica matrix
// following a mirror replica from "lagging" to "consistent" with the rule of `claas status`, pagination of a
// 5,000-item library, hostile paths and parameters, and that no secret reaches any answer. The same API in
// a real browser against Ceph is test/integration/gateway/dashboard-browser.test.ts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { FsStore } from '../../../src/store/fs.js';
import type { MatrixSource } from '../../../src/gateway/admin/replica-matrix.js';
import { runCli } from '../../helpers/cli.js';
import { basic, http } from '../../helpers/http.js';
import { makeTenant, publishLocal, startLocalGateway } from './local-gateway.js';
import type { LocalGateway } from './local-gateway.js';
import { waitUntil } from './cli-gateway.js';

const ADMIN = 'admin-Secret-9f2c61d0';
let work = '';
let gw: LocalGateway | undefined;
let tenantPassword = '';
let tenantHash = '';
let origin = '';
let west = '';
let big = '';

const admin = { Authorization: basic(ADMIN, 'admin') };

async function api<T>(
  path: string,
  headers: Record<string, string> = admin,
): Promise<{ status: number; doc: T; raw: string }> {
  const r = await http(gw!.base, path, { headers });
  const raw = r.body.toString();
  return { status: r.status, doc: (raw.startsWith('{') ? JSON.parse(raw) : undefined) as T, raw };
}

async function publishFolder(src: string, to: string, name: string): Promise<void> {
  const r = await runCli(['publish', src, '--to', to, '--name', name, '--json'], {
    env: { CLAAS_CACHE_DIR: join(work, '.cache'), CLAAS_STATE_DIR: join(work, '.state') },
  });
  assert.equal(r.code, 0, r.stderr);
}

function configFor(library: string): string {
  return [
    `library: ${library}`,
    'origin:',
    `  location: s3://test-bucket/${library}`,
    'replicas:',
    '  - name: west',
    `    location: s3://test-bucket-west/${library}`,
    '    mode: mirror',
    '',
  ].join('\n');
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'claas-dash-api-'));
  origin = await publishLocal(work, 'templates');
  west = join(work, 'libs', 'templates-west');
  await cp(origin, west, { recursive: true });
  // A library of 5,000 small items (top-level files are items).
  const many = join(work, 'src-many');
  await mkdir(many, { recursive: true });
  for (let i = 0; i < 5000; i++) {
    await writeFile(join(many, `item-${String(i).padStart(4, '0')}.txt`), `item ${i}\n`.repeat((i % 7) + 1));
  }
  big = join(work, 'libs', 'big');
  await publishFolder(many, big, 'big');

  const t = await makeTenant('acme', ['templates'], 'acmekey1');
  tenantPassword = t.password;
  tenantHash = t.record.scrypt.hash;
  const roots: Record<string, Record<string, string>> = {
    templates: { origin, west },
    // big's west is a mirror replica claas mirror never filled (its folder does not even exist).
    big: { origin: big, west: join(work, 'libs', 'big-west-never-filled') },
  };
  const sources: MatrixSource[] = Object.entries(roots).map(([library, stores]) => ({
    library,
    config: parseConfig(configFor(library), join(work, `${library}.yaml`)),
    open: async (name: string) => new FsStore(stores[name]!),
  }));
  gw = await startLocalGateway({ templates: [west, origin], big: [big] }, [t.record], {
    adminPassword: ADMIN,
    dashboard: { sources, version: '9.9.9-test', refreshMs: 100, firstWaitMs: 10_000 },
    throttle: { client: { limit: 20, windowMs: 60_000 } },
  });
});

after(async () => {
  await gw?.gateway.shutdown(1_000);
  if (work) await rm(work, { recursive: true, force: true });
});

test('the dashboard is for the admin only: 401 without or with a tenant password, 200 with the admin one', async () => {
  for (const path of ['/ui/', '/api/overview', '/api/replicas']) {
    assert.equal((await http(gw!.base, path)).status, 401, path);
    const asTenant = await http(gw!.base, path, {
      headers: { Authorization: basic(tenantPassword, 'admin') },
    });
    assert.equal(asTenant.status, 401, `${path} with a tenant password as admin`);
    const asVcsp = await http(gw!.base, path, { headers: { Authorization: basic(tenantPassword) } });
    assert.equal(asVcsp.status, 401, `${path} with a tenant's vcsp credentials`);
    assert.equal((await http(gw!.base, path, { headers: admin })).status, 200, path);
  }
  // The tenant's own library still works with its password.
  assert.equal(
    (await http(gw!.base, '/templates/lib.json', { headers: { Authorization: basic(tenantPassword) } }))
      .status,
    200,
  );
});

test('/ui redirects to /ui/; the page and its files come with a strict CSP; unknown files are 404', async () => {
  const r = await http(gw!.base, '/ui', { headers: admin });
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, '/ui/');
  const page = await http(gw!.base, '/ui/', { headers: admin });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.match(page.body.toString(), /app\.js/);
  assert.doesNotMatch(page.body.toString(), /https?:\/\//, 'the page loads nothing from elsewhere');
  const js = await http(gw!.base, '/ui/app.js', { headers: admin });
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.equal(
    (await http(gw!.base, '/ui/app.js', { headers: { ...admin, 'If-None-Match': String(js.headers.etag) } }))
      .status,
    304,
  );
  for (const path of [
    '/ui/nope.js',
    '/ui/../package.json',
    '/ui/%2e%2e/package.json',
    '/ui/..%2fpackage.json',
    '/ui//etc/passwd',
  ]) {
    assert.equal((await http(gw!.base, path, { headers: admin })).status, 404, path);
  }
  assert.equal((await http(gw!.base, '/ui/', { method: 'POST', headers: admin })).status, 405);
});

test('the access log counts the body bytes of answers made in memory: dashboard files, API, statuses', async () => {
  const cases: [string, Record<string, string>, number][] = [
    ['/ui/', admin, 200],
    ['/ui/app.js', admin, 200],
    ['/ui/app.css', admin, 200],
    ['/api/overview', admin, 200],
    ['/healthz', {}, 200],
    ['/ui/', {}, 401],
  ];
  for (const [path, headers, status] of cases) {
    const seen = gw!.log.length;
    const r = await http(gw!.base, path, { headers });
    assert.equal(r.status, status, path);
    assert.ok(r.body.length > 0, path);
    const entry = await waitUntil(
      () => gw!.log.slice(seen).find((e) => e.path === path),
      10_000,
      `the access log entry of ${path}`,
    );
    assert.equal(entry?.status, status, path);
    assert.equal(entry?.bytes, r.body.length, `bytes logged for ${path} (${status})`);
  }
});

test('/api/overview lists each library with its served version, replica, items and size', async () => {
  const { status, doc } = await api<{
    gateway: { version: string; refreshSeconds: number };
    libraries: {
      name: string;
      url: string;
      servedVersion: number;
      servedFrom: string;
      items: number;
      bytes: number;
      committedAt: string;
    }[];
    tenants: number;
  }>('/api/overview');
  assert.equal(status, 200);
  assert.equal(doc.gateway.version, '9.9.9-test');
  assert.equal(doc.tenants, 1);
  const byName = Object.fromEntries(doc.libraries.map((l) => [l.name, l]));
  assert.equal(byName.templates!.servedVersion, 1);
  assert.equal(byName.templates!.servedFrom, 'r0');
  assert.equal(byName.templates!.items, 3);
  assert.ok(byName.templates!.bytes > 0);
  assert.match(byName.templates!.url, /\/templates\/lib\.json$/);
  assert.equal(byName.big!.items, 5000);
  assert.ok(!Number.isNaN(Date.parse(byName.big!.committedAt)));
});

test('items of a 5,000-item library come a page at a time, filtered and sorted', async () => {
  type Page = {
    total: number;
    offset: number;
    limit: number;
    version: number;
    items: { name: string; type: string; size: number; version: number; changed: string; files: number }[];
  };
  const first = await api<Page>('/api/libraries/big/items');
  assert.equal(first.status, 200);
  assert.equal(first.doc.total, 5000);
  assert.equal(first.doc.items.length, 100);
  assert.equal(first.doc.items[0]!.name, 'item-0000.txt');
  assert.equal(first.doc.items[0]!.type, 'other');
  assert.equal(first.doc.items[0]!.files, 1);
  assert.equal(first.doc.items[0]!.version, 1);
  assert.ok(!Number.isNaN(Date.parse(first.doc.items[0]!.changed)));
  const last = await api<Page>('/api/libraries/big/items?offset=4950&limit=500');
  assert.equal(last.doc.items.length, 50);
  assert.equal(last.doc.items.at(-1)!.name, 'item-4999.txt');
  const q = await api<Page>('/api/libraries/big/items?q=ITEM-12&limit=500');
  assert.equal(q.doc.total, 100); // item-1200 ... item-1299
  const bySize = await api<Page>('/api/libraries/big/items?sort=size&order=desc&limit=3');
  assert.equal(bySize.doc.items[0]!.size, 'item 1000\n'.length * 7); // 4-digit i with i % 7 = 6
  for (const bad of [
    'limit=0',
    'limit=501',
    'offset=-1',
    'sort=__proto__',
    'order=up',
    `q=${'x'.repeat(201)}`,
  ]) {
    const r = await api<{ error: { code: string; message: string } }>(`/api/libraries/big/items?${bad}`);
    assert.equal(r.status, 400, bad);
    assert.equal(r.doc.error.code, 'BAD_INPUT');
  }
  const missing = await api<{ error: { message: string } }>('/api/libraries/nope/items');
  assert.equal(missing.status, 404);
  assert.match(missing.doc.error.message, /nope/);
  for (const path of ['/api/libraries/../items', '/api/libraries/%2e%2e/items', '/api/nothing', '/api']) {
    assert.equal((await http(gw!.base, path, { headers: admin })).status, 404, path);
  }
  assert.equal((await http(gw!.base, '/api/overview', { method: 'DELETE', headers: admin })).status, 405);
});

type Matrix = {
  libraries: {
    library: string;
    state: string;
    origin: { version?: number; committedAt?: string; ageSeconds?: number };
    stores: {
      name: string;
      role: string;
      state: string;
      libVersion?: number;
      consistentVersion?: number;
      behind?: number;
      missing: number;
      problems: string[];
      served: boolean;
      reachable: boolean | null;
      location: string;
    }[];
  }[];
};

test('/api/replicas: a mirror replica claas mirror never filled is empty — run claas mirror, not error', async () => {
  const big = (await api<Matrix>('/api/replicas')).doc.libraries.find((l) => l.library === 'big')!;
  const west = big.stores.find((s) => s.name === 'west')!;
  assert.equal(west.state, 'empty', JSON.stringify(west));
  assert.match(west.problems[0] ?? '', /^empty — run claas mirror/);
  assert.ok(west.missing > 0);
  assert.equal(big.state, 'lagging', 'the library counts an empty replica like a lagging one (exit 1)');
});

test('/api/replicas follows a mirror replica from lagging (catching up) to consistent', async () => {
  const row = async () =>
    (await api<Matrix>('/api/replicas')).doc.libraries.find((l) => l.library === 'templates')!;
  const start = await row();
  assert.equal(start.state, 'consistent');
  assert.deepEqual(
    start.stores.map((s) => [s.name, s.role, s.state]),
    [
      ['origin', 'origin', 'consistent'],
      ['west', 'replica', 'consistent'],
    ],
  );
  assert.equal(start.origin.version, 1);
  assert.ok(start.origin.ageSeconds! >= 0);
  assert.match(start.stores[0]!.location, /libs\/templates$/);

  // Version 2 at the origin only: west lags (its own lib.json still says 1: claas mirror has not run).
  const src = join(work, 'src-templates');
  await writeFile(join(src, 'NEW.txt'), 'a new item\n');
  await publishFolder(src, origin, 'templates');
  const lagging = await waitUntil(
    async () => {
      const r = await row();
      return r.origin.version === 2 && r.stores[1]!.state === 'lagging' ? r : undefined;
    },
    20_000,
    'west lagging at version 2',
  );
  assert.ok(lagging);
  assert.equal(lagging.state, 'lagging');
  assert.equal(lagging.stores[1]!.consistentVersion, 1);
  assert.equal(lagging.stores[1]!.behind, 1);
  assert.ok(lagging.stores[1]!.missing > 0);

  // The copy arrives (as claas mirror would leave it): consistent.
  await cp(origin, west, { recursive: true, force: true });
  const done = await waitUntil(
    async () => {
      const r = await row();
      return r.stores[1]!.state === 'consistent' ? r : undefined;
    },
    20_000,
    'west consistent at version 2',
  );
  assert.ok(done);
  assert.equal(done.state, 'consistent');
  assert.equal(done.stores[1]!.consistentVersion, 2);
  // The gateway's own probe of r0 (west) serves version 2 now, too.
  await waitUntil(
    async () =>
      (
        await api<{ libraries: { name: string; servedVersion: number }[] }>('/api/overview')
      ).doc.libraries.find((l) => l.name === 'templates')!.servedVersion === 2,
    20_000,
    'served version 2',
  );
});

test('/api/tenants shows granted libraries and what each tenant fetched; /api/audit the publishes', async () => {
  const before = (
    await api<{ tenants: { name: string; bytesServed: number; requests: number }[] }>('/api/tenants')
  ).doc.tenants[0]!;
  const lib = await http(gw!.base, '/templates/lib.json', {
    headers: { Authorization: basic(tenantPassword) },
  });
  assert.equal(lib.status, 200);
  const after = await waitUntil(
    async () => {
      const t = (
        await api<{
          since: string;
          tenants: {
            name: string;
            libraries: string[];
            bytesServed: number;
            requests: number;
            lastSeen?: string;
            created: string;
          }[];
        }>('/api/tenants')
      ).doc.tenants[0]!;
      return t.requests > before.requests ? t : undefined;
    },
    5_000,
    'the request counted',
  );
  assert.ok(after);
  assert.equal(after.name, 'acme');
  assert.deepEqual(after.libraries, ['templates']);
  assert.equal(after.bytesServed - before.bytesServed, lib.body.length);
  assert.ok(after.lastSeen !== undefined);

  const audit = await api<{
    entries: {
      library: string;
      action: string;
      version?: number;
      actor: string;
      items: { name: string; change: string }[];
    }[];
    unreadable: number;
  }>('/api/audit?limit=10');
  assert.equal(audit.status, 200);
  const templates = audit.doc.entries.filter((e) => e.library === 'templates');
  assert.deepEqual(
    templates.map((e) => [e.action, e.version]),
    [
      ['publish', 2],
      ['publish', 1],
    ],
  );
  assert.deepEqual(
    templates[0]!.items.filter((i) => i.change !== 'unchanged'),
    [{ name: 'NEW.txt', change: 'added' }],
  );
  assert.equal(audit.doc.unreadable, 0);
  assert.equal((await api('/api/audit?limit=0')).status, 400);
});

test('no answer holds a secret: admin password, tenant password or its hash', async () => {
  const bodies: string[] = [];
  for (const path of [
    '/api/overview',
    '/api/replicas',
    '/api/tenants',
    '/api/audit',
    '/api/libraries/templates/items',
    '/ui/',
    '/ui/app.js',
  ]) {
    bodies.push((await http(gw!.base, path, { headers: admin })).body.toString());
  }
  for (const b of bodies) {
    for (const secret of [ADMIN, tenantPassword, tenantHash, 'scrypt', 'salt'])
      assert.ok(!b.includes(secret), `an answer holds ${secret.slice(0, 6)}...`);
  }
});

test('wrong admin passwords are throttled per client (429 with Retry-After)', async () => {
  let last = 0;
  let retryAfter: string | undefined;
  for (let i = 0; i < 25; i++) {
    const r = await http(gw!.base, '/api/overview', {
      headers: { Authorization: basic(`wrong-${i}`, 'admin') },
    });
    last = r.status;
    retryAfter = r.headers['retry-after'] as string | undefined;
  }
  assert.equal(last, 429);
  assert.ok(Number(retryAfter) >= 1);
  // Even the right password waits now (the throttle is per client address).
  assert.equal((await http(gw!.base, '/api/overview', { headers: admin })).status, 429);
});

test('without an admin password the dashboard and the API are off (404)', async () => {
  await gw!.gateway.reload({ adminPassword: null });
  try {
    for (const path of ['/ui/', '/api/overview']) {
      assert.equal((await http(gw!.base, path, { headers: admin })).status, 404, path);
    }
  } finally {
    await gw!.gateway.reload({ adminPassword: ADMIN });
  }
});
