// The gateway in-process over local folders: HTTPS with a pinned self-signed certificate and a certificate
// swap, reload of libraries (unchanged ones keep their state) and tenants, and /metrics behind the admin
// password.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSelfSigned } from '../../../src/net/tls.js';
import { HttpLibrarySource } from '../../../src/subscriber/reader.js';
import { syncLibrary } from '../../../src/subscriber/sync.js';
import { FsStore } from '../../../src/store/fs.js';
import { basic, http } from '../../helpers/http.js';
import { makeTenant, publishLocal, startLocalGateway } from './local-gateway.js';

let work = '';
let root = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'claas-gw-reload-'));
  root = await publishLocal(work, 'templates');
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('HTTPS: a subscriber pinning the printed thumbprint syncs; a new certificate takes over at once', async () => {
  const tenant = await makeTenant('acme', ['templates'], 'acmeacme');
  const first = await generateSelfSigned('127.0.0.1');
  const gw = await startLocalGateway({ templates: [root] }, [tenant.record], { tls: first });
  try {
    const url = gw.gateway.urls()[0]!.url;
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/templates\/lib\.json$/);
    const thumbprint = gw.gateway.server.thumbprint!;
    assert.match(thumbprint, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    const pinned = new HttpLibrarySource(url, { password: tenant.password, thumbprint });
    const r = await syncLibrary(pinned, join(work, 'sub-tls'));
    pinned.close?.();
    assert.equal(r.state.libVersion, '1');
    const unpinned = new HttpLibrarySource(url, { password: tenant.password });
    await assert.rejects(syncLibrary(unpinned, join(work, 'sub-tls-2')));
    unpinned.close?.();

    const next = await generateSelfSigned('127.0.0.1');
    const newPrint = gw.gateway.server.setTls!(next);
    assert.notEqual(newPrint, thumbprint);
    assert.equal(gw.gateway.server.thumbprint, newPrint);
    const old = new HttpLibrarySource(url, { password: tenant.password, thumbprint });
    await assert.rejects(old.getJson('lib.json'), /thumbprint/);
    old.close?.();
    const fresh = new HttpLibrarySource(url, { password: tenant.password, thumbprint: newPrint });
    assert.match((await fresh.getJson('lib.json')).text, /"vcspVersion"/);
    fresh.close?.();
  } finally {
    await gw.gateway.shutdown(0);
  }
});

test('reload: unchanged libraries keep their state, changed ones are replaced, removed tenants are refused', async () => {
  const acme = await makeTenant('acme', ['templates', 'copy'], 'acmeacme');
  const gw = await startLocalGateway({ templates: [root] }, [acme.record]);
  try {
    const auth = { Authorization: basic(acme.password) };
    assert.equal((await http(gw.base, '/templates/lib.json', { headers: auth })).status, 200);
    const before = gw.gateway.library('templates');
    const copy = join(work, 'libs', 'copy');
    await cp(root, copy, { recursive: true });
    // The same folder again (a store is known by its display form when no id is given): the same replica.
    const same = { name: 'templates', replicas: [{ name: 'r0', store: new FsStore(root) }] };
    const r1 = await gw.gateway.reload({
      libraries: [same, { name: 'copy', replicas: [{ name: 'r0', store: new FsStore(copy) }] }],
    });
    assert.equal(gw.gateway.library('templates'), before, 'kept, with its replica state');
    assert.equal(r1.unused.length, 1);
    assert.equal(r1.retired.length, 0);
    assert.equal((await http(gw.base, '/copy/lib.json', { headers: auth })).status, 200);

    const r2 = await gw.gateway.reload({
      libraries: [{ name: 'templates', replicas: [{ name: 'other', store: new FsStore(copy) }] }],
    });
    assert.notEqual(gw.gateway.library('templates'), before, 'another replica list: a new state');
    assert.equal(r2.retired.length, 2, 'the old templates and copy stores');
    assert.equal((await http(gw.base, '/copy/lib.json', { headers: auth })).status, 404, 'copy is gone');
    const served = await http(gw.base, '/templates/lib.json', { headers: auth });
    assert.equal(served.status, 200);
    assert.equal(gw.log.at(-1)?.replica, 'other');

    await gw.gateway.reload({ tenants: [] });
    assert.equal((await http(gw.base, '/templates/lib.json', { headers: auth })).status, 401);
  } finally {
    await gw.gateway.shutdown(0);
  }
});

test('/metrics: loopback only without an admin password; behind it with one', async () => {
  const gw = await startLocalGateway({ templates: [root] }, []);
  try {
    const open = await http(gw.base, '/metrics');
    assert.equal(open.status, 200);
    assert.equal(open.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(open.body.toString(), /^claas_gateway_replica_up\{library="templates",replica="r0"\} 1$/m);
    await gw.gateway.reload({ adminPassword: 's3cret-admin' });
    assert.equal((await http(gw.base, '/metrics')).status, 401);
    assert.equal(
      (await http(gw.base, '/metrics', { headers: { Authorization: basic('nope', 'admin') } })).status,
      401,
    );
    const ok = await http(gw.base, '/metrics', {
      headers: { Authorization: basic('s3cret-admin', 'admin') },
    });
    assert.equal(ok.status, 200);
    assert.match(ok.body.toString(), /claas_gateway_auth_failures_total\{reason="admin"\} 1/);
    assert.ok(!JSON.stringify(gw.log).includes('s3cret-admin'));
    const health = await http(gw.base, '/healthz');
    assert.deepEqual(JSON.parse(health.body.toString()), {
      status: 'ok',
      libraries: { served: 1, total: 1 },
      replicas: { r0: true },
    });
  } finally {
    await gw.gateway.shutdown(0);
  }
});
