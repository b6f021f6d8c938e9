// The VCSP HTTP server core: auth, GET/HEAD, ranges, ETags, content types, what is never served
// (claas internals, dotfiles, anything reached by traversal), limits, access logs and aborted downloads.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { startVcspServer } from '../../../src/gateway/vcsp-server.js';
import type { AccessLogEntry } from '../../../src/gateway/handler.js';
import { basic, http as raw } from '../../helpers/http.js';

const LIB = JSON.stringify({ vcspVersion: '2', version: '1', name: 'lib' });
const DISK = Buffer.alloc(3 * 1024 * 1024 + 17);
for (let i = 0; i < DISK.length; i++) DISK[i] = i % 251;

/** Access log entries are reported when the response closes, just after the client has its answer. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

async function withServer(
  o: { password?: string; basePath?: string },
  fn: (base: string, url: string, log: AccessLogEntry[], root: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'claas-gw-'));
  const root = join(dir, 'lib');
  await mkdir(join(root, 'photon'), { recursive: true });
  await mkdir(join(root, '.claas', 'versions'), { recursive: true });
  await writeFile(join(root, 'lib.json'), LIB);
  await writeFile(join(root, 'photon', 'photon.ovf'), '<Envelope/>');
  await writeFile(join(root, 'photon', 'photon.mf'), 'SHA256(photon.ovf)= 00\n');
  await writeFile(join(root, 'photon', 'disk.vmdk'), DISK);
  await writeFile(join(root, 'photon', 'empty.iso'), '');
  await writeFile(join(root, 'photon', '.secret'), 'no');
  await writeFile(join(root, '.hidden'), 'no');
  await writeFile(join(root, '.claas', 'versions', '1.json'), '{}');
  await writeFile(join(dir, 'outside.txt'), 'outside the root');
  const log: AccessLogEntry[] = [];
  const server = await startVcspServer({
    store: new FsStore(root),
    host: '127.0.0.1',
    port: 0,
    ...o,
    onRequest: (e) => log.push(e),
  });
  try {
    await fn(`http://127.0.0.1:${server.port}`, server.url, log, root);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('GET and HEAD of lib.json: headers, strong ETag, 304', async () => {
  await withServer({}, async (base, url) => {
    assert.equal(url, `${base}/lib.json`);
    const r = await raw(base, '/lib.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), LIB);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.headers['content-length'], String(LIB.length));
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.ok(r.headers['last-modified']);
    const etag = `"${createHash('sha256').update(LIB).digest('hex')}"`;
    assert.equal(r.headers.etag, etag);
    const head = await raw(base, '/lib.json', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(LIB.length));
    assert.equal(head.headers.etag, etag);
    const again = await raw(base, '/lib.json', { headers: { 'If-None-Match': `"other", ${etag}` } });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    const changed = await raw(base, '/lib.json', { headers: { 'If-None-Match': '"other"' } });
    assert.equal(changed.status, 200);
  });
});

test('content types and a streamed large file', async () => {
  await withServer({}, async (base) => {
    assert.equal((await raw(base, '/photon/photon.ovf')).headers['content-type'], 'text/xml');
    assert.equal((await raw(base, '/photon/photon.mf')).headers['content-type'], 'text/plain');
    const disk = await raw(base, '/photon/disk.vmdk');
    assert.equal(disk.status, 200);
    assert.equal(disk.headers['content-type'], 'application/octet-stream');
    assert.equal(disk.headers['content-length'], String(DISK.length));
    assert.equal(disk.headers.etag, undefined);
    assert.ok(disk.body.equals(DISK));
    const since = { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() };
    assert.equal((await raw(base, '/photon/disk.vmdk', { headers: since })).status, 304);
    assert.equal(
      (await raw(base, '/lib.json', { headers: since })).status,
      200,
      'JSON is judged by its ETag only',
    );
    const empty = await raw(base, '/photon/empty.iso');
    assert.equal(empty.status, 200);
    assert.equal(empty.headers['content-length'], '0');
  });
});

test('ranges: 206 with Content-Range, suffix and open ranges, 416 when unsatisfiable', async () => {
  await withServer({}, async (base) => {
    const r = await raw(base, '/photon/disk.vmdk', { headers: { Range: 'bytes=1000-1999' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 1000-1999/${DISK.length}`);
    assert.equal(r.headers['content-length'], '1000');
    assert.ok(r.body.equals(DISK.subarray(1000, 2000)));
    const suffix = await raw(base, '/photon/disk.vmdk', { headers: { Range: 'bytes=-17' } });
    assert.equal(suffix.status, 206);
    assert.ok(suffix.body.equals(DISK.subarray(DISK.length - 17)));
    const open = await raw(base, '/photon/disk.vmdk', { headers: { Range: `bytes=${DISK.length - 5}-` } });
    assert.ok(open.body.equals(DISK.subarray(DISK.length - 5)));
    const json = await raw(base, '/lib.json', { headers: { Range: 'bytes=0-0' } });
    assert.equal(json.status, 206);
    assert.equal(json.body.toString(), '{');
    const bad = await raw(base, '/photon/disk.vmdk', { headers: { Range: `bytes=${DISK.length}-` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], `bytes */${DISK.length}`);
    const multi = await raw(base, '/photon/disk.vmdk', { headers: { Range: 'bytes=0-1,5-6' } });
    assert.equal(multi.status, 200);
    assert.equal(multi.body.length, DISK.length);
    const head = await raw(base, '/photon/disk.vmdk', { method: 'HEAD', headers: { Range: 'bytes=0-9' } });
    assert.equal(head.status, 206);
    assert.equal(head.body.length, 0);
  });
});

test('claas internals, dotfiles and every traversal form are never served', async () => {
  await withServer({}, async (base) => {
    const blocked = [
      '/.claas/versions/1.json',
      '/.claas/',
      '/.hidden',
      '/photon/.secret',
      '/%2eclaas/versions/1.json',
      '/../outside.txt',
      '/photon/../../outside.txt',
      '/..%2foutside.txt',
      '/..%2Foutside.txt',
      '/%2e%2e/outside.txt',
      '/%2E%2E/outside.txt',
      '/%252e%252e/outside.txt',
      '/%252e%252e%252foutside.txt',
      '/photon/..%5c..%5coutside.txt',
      '/photon\\..\\..\\outside.txt',
      '/photon%2f..%2f..%2foutside.txt',
      '/photon//disk.vmdk',
      '/photon/',
      '/',
      '//etc/passwd',
      '/%00',
      '/photon/%ff',
    ];
    for (const path of blocked) {
      const r = await raw(base, path);
      assert.ok(r.status === 400 || r.status === 404, `${path} gave ${r.status}`);
      assert.ok(!r.body.toString().includes('outside the root'), path);
    }
    const long = await raw(base, `/${'a'.repeat(9 * 1024)}`);
    assert.equal(long.status, 414);
    const post = await raw(base, '/lib.json', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    // A query string is ignored, not part of the key.
    assert.equal((await raw(base, '/lib.json?x=1')).status, 200);
  });
});

test('Basic auth: 401 without or with wrong credentials, 200 with user vcsp and the password', async () => {
  const password = 'pa:ss wörd';
  await withServer({ password }, async (base, _url, log) => {
    const none = await raw(base, '/lib.json');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="claas"');
    assert.equal((await raw(base, '/lib.json', { headers: { Authorization: basic('wrong') } })).status, 401);
    assert.equal(
      (await raw(base, '/lib.json', { headers: { Authorization: basic(password, 'admin') } })).status,
      401,
    );
    assert.equal((await raw(base, '/lib.json', { headers: { Authorization: 'Bearer x' } })).status, 401);
    assert.equal((await raw(base, '/lib.json', { headers: { Authorization: 'Basic !!!' } })).status, 401);
    const ok = await raw(base, '/lib.json', { headers: { Authorization: basic(password) } });
    assert.equal(ok.status, 200);
    // Paths are not revealed before authentication.
    assert.equal((await raw(base, '/.claas/versions/1.json')).status, 401);
    assert.equal(
      (await raw(base, '/photon/disk.vmdk', { headers: { Authorization: basic(password) } })).status,
      200,
    );
    await until(() => log.length === 8);
    const text = JSON.stringify(log);
    assert.ok(!text.includes(password) && !text.includes('pa:ss'));
    assert.ok(!text.includes(Buffer.from(`vcsp:${password}`).toString('base64')));
    assert.deepEqual(
      log.map((e) => e.status),
      [401, 401, 401, 401, 401, 200, 401, 200],
    );
    const last = log.at(-1)!;
    assert.equal(last.method, 'GET');
    assert.equal(last.path, '/photon/disk.vmdk');
    assert.equal(last.bytes, DISK.length);
    assert.equal(last.remote, '127.0.0.1');
    assert.ok(last.ms >= 0);
  });
});

test('a base path mounts the library below it', async () => {
  await withServer({ basePath: '/templates/' }, async (base, url) => {
    assert.equal(url, `${base}/templates/lib.json`);
    assert.equal((await raw(base, '/templates/lib.json')).status, 200);
    assert.equal((await raw(base, '/lib.json')).status, 404);
    assert.equal((await raw(base, '/templateslib.json')).status, 404);
  });
});

test('a client that goes away mid-download stops the read; the server keeps serving', async () => {
  await withServer({}, async (base, _url, log) => {
    await new Promise<void>((resolve, reject) => {
      const req = request(`${base}/photon/disk.vmdk`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      req.end();
    });
    await until(() => log.length === 1);
    assert.equal(log.length, 1);
    assert.ok(log[0]!.bytes < DISK.length, `sent ${log[0]!.bytes}`);
    assert.equal(log[0]!.error, undefined);
    assert.equal((await raw(base, '/lib.json')).status, 200);
  });
});

test('listening on a port in use is a clear error', async () => {
  await withServer({}, async (base) => {
    const port = Number(new URL(base).port);
    await assert.rejects(
      startVcspServer({ store: new FsStore(tmpdir()), host: '127.0.0.1', port }),
      (e: Error & { code?: string }) => e.code === 'BAD_INPUT' && /in use/.test(e.message),
    );
  });
});
