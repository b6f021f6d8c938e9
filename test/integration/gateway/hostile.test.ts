// Hostile requests against the gateway (in-process, libraries in local folders, 127.0.0.1 only): path
// traversal in every encoding, tenant isolation (a library not granted = a library that does not exist),
// bad-auth floods (429 + Retry-After per client and per tenant key), oversized headers and URLs, slowloris
// headers and readers that stop reading (closed by timeouts), methods, and no secret in any log entry.
// Every loop is bounded and every wait has a limit.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../../src/gateway/multi/gateway.js';
import { FsStore } from '../../../src/store/fs.js';
import type { ListOptions, StoredObject } from '../../../src/store/types.js';
import { runCli } from '../../helpers/cli.js';
import { basic, http as raw } from '../../helpers/http.js';
import type { HttpResult } from '../../helpers/http.js';
import {
  closedWithin,
  makeTenant,
  publishLocal,
  rawRequest,
  rawSocket,
  startLocalGateway,
} from './local-gateway.js';
import type { LocalGateway } from './local-gateway.js';

let work = '';
let gw: LocalGateway;
let acme: { password: string };
let globex: { password: string };
let libRoot = '';
const OUTSIDE_MARKER = 'OUTSIDE-THE-LIBRARY-7f3a';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'claas-hostile-'));
  libRoot = await publishLocal(work, 'templates', 24);
  const other = await publishLocal(work, 'secret-lib');
  await writeFile(join(work, 'libs', 'outside.txt'), OUTSIDE_MARKER);
  await writeFile(join(work, 'outside.txt'), OUTSIDE_MARKER);
  const a = await makeTenant('acme', ['templates'], 'acmeacme');
  const g = await makeTenant('globex', ['templates', 'secret-lib'], 'globexgl');
  acme = a;
  globex = g;
  gw = await startLocalGateway({ templates: [libRoot], 'secret-lib': [other] }, [a.record, g.record], {
    headersTimeoutMs: 1_000,
    idleTimeoutMs: 1_500,
    maxHeaderSize: 8 * 1024,
    throttle: { client: { limit: 5, windowMs: 60_000 }, tenant: { limit: 8, windowMs: 60_000 } },
  });
});

after(async () => {
  await gw?.gateway.shutdown(0);
  if (work) await rm(work, { recursive: true, force: true });
});

const auth = () => ({ Authorization: basic(acme.password) });

test('traversal in every form is refused and never reaches outside the library', async () => {
  const attempts = [
    '/templates/../outside.txt',
    '/templates/%2e%2e/outside.txt',
    '/templates/%2E%2E/outside.txt',
    '/templates/%252e%252e/outside.txt',
    '/templates/%25252e%25252e/outside.txt',
    '/templates/..%2foutside.txt',
    '/templates/..%2Foutside.txt',
    '/templates/..%252foutside.txt',
    '/templates/..%5coutside.txt',
    '/templates/..\\outside.txt',
    '/templates/photon-mini/../../outside.txt',
    '/templates/photon-mini/%2e%2e/%2e%2e/outside.txt',
    '/templates//outside.txt',
    '/templates/./lib.json',
    '/templates/%2e/lib.json',
    '/templates/.claas/versions/1.json',
    '/templates/%2eclaas/versions/1.json',
    '/templates/%252eclaas/versions/1.json',
    '/templates/.claas%2fversions%2f1.json',
    '/templates/%00lib.json',
    '/templates/lib.json%00',
    '/templates/%zz',
    '/templates/%',
    '/%2e%2e/templates/lib.json',
    '/templates%2f..%2fsecret-lib/lib.json',
    '/secret-lib%2flib.json',
    '/templates/..;/secret-lib/lib.json',
  ];
  for (const path of attempts) {
    const r = await raw(gw.base, path, { headers: auth() });
    assert.ok([400, 404].includes(r.status), `${path}: ${r.status}`);
    assert.ok(
      !r.body.toString('latin1').includes(OUTSIDE_MARKER),
      `${path} leaked a file outside the library`,
    );
    assert.ok(!r.body.toString('latin1').includes('claas.version/1'), `${path} leaked a snapshot`);
  }
  // Sanity: the real paths work for the same tenant.
  assert.equal((await raw(gw.base, '/templates/lib.json', { headers: auth() })).status, 200);
});

test('tenant isolation: a library not granted gives exactly the 404 of a library that does not exist', async () => {
  const strip = (r: HttpResult) => {
    const { date: _date, ...headers } = r.headers;
    return { status: r.status, headers, body: r.body.toString() };
  };
  for (const method of ['GET', 'HEAD']) {
    const notGranted = await raw(gw.base, '/secret-lib/lib.json', { method, headers: auth() });
    const missing = await raw(gw.base, '/no-such-lib/lib.json', { method, headers: auth() });
    assert.equal(notGranted.status, 404);
    assert.deepEqual(strip(notGranted), strip(missing));
    const deepNotGranted = await raw(gw.base, '/secret-lib/items-1.json', { method, headers: auth() });
    assert.deepEqual(strip(deepNotGranted), strip(missing));
  }
  // A tenant granted both reads both; without credentials neither exists nor not-exists is revealed.
  assert.equal(
    (await raw(gw.base, '/secret-lib/lib.json', { headers: { Authorization: basic(globex.password) } }))
      .status,
    200,
  );
  const anon1 = await raw(gw.base, '/secret-lib/lib.json');
  const anon2 = await raw(gw.base, '/no-such-lib/lib.json');
  assert.equal(anon1.status, 401);
  assert.deepEqual(strip(anon1), strip(anon2));
});

test('bad-auth flood: 401 until the per-client limit, then 429 with Retry-After; remembered tenants keep working', async () => {
  // acme authenticated before the flood (the earlier tests): its password is remembered.
  const wrong = { Authorization: basic('claas_acmeacme_' + 'x'.repeat(32)) };
  const statuses: number[] = [];
  const t0 = Date.now();
  let retryAfter: string | undefined;
  for (let i = 0; i < 12; i++) {
    const r = await raw(gw.base, '/templates/lib.json', { headers: wrong, localAddress: '127.0.0.5' });
    statuses.push(r.status);
    if (r.status === 429) retryAfter = r.headers['retry-after'] as string;
  }
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.ok(
    statuses.slice(5).every((s) => s === 429),
    statuses.join(','),
  );
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);
  assert.ok(Date.now() - t0 < 20_000, 'throttled requests cost no scrypt');
  // Malformed passwords (not claas-generated) count too, and cost nothing.
  const junk = await raw(gw.base, '/templates/lib.json', {
    headers: { Authorization: basic('hunter2') },
    localAddress: '127.0.0.5',
  });
  assert.equal(junk.status, 429);
  // The same client with acme's real (remembered) password is still served.
  const ok = await raw(gw.base, '/templates/lib.json', { headers: auth(), localAddress: '127.0.0.5' });
  assert.equal(ok.status, 200);
});

test('per-tenant throttle: failures for one key id from many clients end in 429 for every client', async () => {
  const guess = { Authorization: basic('claas_globexgl_' + 'y'.repeat(32)) };
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await raw(gw.base, '/templates/lib.json', { headers: guess, localAddress: `127.0.1.${i + 1}` });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses.slice(0, 8), Array(8).fill(401));
  assert.deepEqual(statuses.slice(8), [429, 429]);
  // An unknown key id behaves the same (the throttle does not tell which key ids exist).
  const unknown = { Authorization: basic('claas_nobody00_' + 'y'.repeat(32)) };
  const u: number[] = [];
  for (let i = 0; i < 10; i++) {
    u.push(
      (await raw(gw.base, '/templates/lib.json', { headers: unknown, localAddress: `127.0.2.${i + 1}` }))
        .status,
    );
  }
  assert.deepEqual(u, statuses);
  const text = gw.gateway.metrics.render();
  assert.match(text, /claas_gateway_throttled_total\{scope="tenant"\} [1-9]/);
  assert.match(text, /claas_gateway_auth_failures_total\{reason="bad_password"\} [1-9]/);
});

test('oversized headers get 431, oversized URLs 414 or 431, and the connection is not kept', async () => {
  const big = await rawRequest(
    gw.base,
    `GET /templates/lib.json HTTP/1.1\r\nHost: x\r\nX-Fill: ${'a'.repeat(20_000)}\r\n\r\n`,
  );
  assert.equal(big.status, 431);
  const many = Array.from({ length: 1500 }, (_, i) => `X-H${i}: v`).join('\r\n');
  assert.equal(
    (await rawRequest(gw.base, `GET /templates/lib.json HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`)).status,
    431,
  );
  const longUrl = await rawRequest(
    gw.base,
    `GET /templates/${'a'.repeat(9_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  );
  assert.ok([414, 431].includes(longUrl.status), String(longUrl.status));
});

test('slowloris: a client sending its headers byte by byte is cut off by the headers timeout', async () => {
  const s = await rawSocket(gw.base);
  const closed = closedWithin(s, 8_000);
  const head = 'GET /templates/lib.json HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'z'.repeat(200);
  let i = 0;
  const timer = setInterval(() => {
    if (s.destroyed || i >= head.length) return clearInterval(timer);
    s.write(head[i++]!);
  }, 100);
  const ms = await closed;
  clearInterval(timer);
  assert.ok(ms < 5_000, `closed after ${ms} ms`);
});

test('a reader that stops reading is disconnected by the idle timeout; the server keeps serving', async () => {
  // The 24 MiB file of the library, by its href.
  const index = JSON.parse(
    (await raw(gw.base, '/templates/items-1.json', { headers: auth() })).body.toString(),
  ) as {
    items: { name: string; files: { hrefs: string[]; size: number }[] }[];
  };
  const file = index.items.find((i) => i.name === 'big')!.files[0]!;
  const href = file.hrefs[0]!;
  const s = await rawSocket(gw.base);
  s.pause(); // never read: the socket buffers fill up, then nothing moves
  const t0 = Date.now();
  s.write(`GET /templates/${href} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(acme.password)}\r\n\r\n`);
  // The server's view: the request ends (logged) without having sent the whole file.
  const path = `/templates/${href}`;
  let entry: (typeof gw.log)[number] | undefined;
  for (let i = 0; i < 100 && entry === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    entry = gw.log.find((e) => e.path === path && e.status === 200);
  }
  assert.ok(entry !== undefined, 'the stalled download was not ended within 10 s');
  const ms = Date.now() - t0;
  assert.ok(ms < 10_000, `ended after ${ms} ms`);
  assert.ok(entry.bytes < file.size, `sent ${entry.bytes} of ${file.size} bytes`);
  // The client's view: what was buffered, then the end; never the whole file.
  let got = 0;
  s.on('data', (c: Buffer) => (got += c.length));
  await closedWithin(s, 10_000);
  assert.ok(got < file.size + 1024, `received ${got}`);
  const again = await raw(gw.base, path, { headers: { ...auth(), Range: 'bytes=0-99' } });
  assert.equal(again.status, 206);
  assert.equal(again.body.length, 100);
});

test('many half-open connections are closed by the timeouts too', async () => {
  const sockets = await Promise.all(Array.from({ length: 20 }, () => rawSocket(gw.base)));
  for (const s of sockets) s.write('GET /templates/lib.json HTTP/1.1\r\n');
  const times = await Promise.all(sockets.map((s) => closedWithin(s, 10_000)));
  assert.ok(Math.max(...times) < 6_000, `slowest closed after ${Math.max(...times)} ms`);
  assert.equal((await raw(gw.base, '/templates/lib.json', { headers: auth() })).status, 200);
});

test('only GET and HEAD; unauthenticated writes learn nothing', async () => {
  for (const method of ['PUT', 'DELETE', 'POST', 'PATCH']) {
    assert.equal((await raw(gw.base, '/templates/lib.json', { method })).status, 401, method);
    assert.equal(
      (await raw(gw.base, '/templates/lib.json', { method, headers: auth() })).status,
      405,
      method,
    );
  }
  // A request body is not read into memory (a 405 answers without waiting for it).
  const r = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${gw.base}/templates/lib.json`,
      { method: 'PUT', headers: { ...auth(), 'Content-Length': String(1 << 30) } },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      },
    );
    req.on('error', reject);
    req.write(Buffer.alloc(1024));
  });
  assert.equal(r, 405);
});

test('no password and no Authorization header in any access log entry', async () => {
  const text = JSON.stringify(gw.log);
  assert.ok(gw.log.length > 50);
  for (const secret of [acme.password, globex.password, acme.password.slice(15), 'Basic ']) {
    assert.ok(!text.includes(secret), `the log holds ${secret.slice(0, 12)}...`);
  }
  const served = gw.log.find((e) => e.status === 200 && e.path === '/templates/lib.json');
  assert.equal(served?.tenant, 'acme');
  assert.equal(served?.library, 'templates');
  assert.equal(served?.replica, 'r0');
  assert.equal(typeof served?.ms, 'number');
  assert.ok((served?.bytes ?? 0) > 0);
  const file = gw.log.find((e) => e.status === 206);
  assert.equal(file?.item, 'big');
});

/** Adds `"junk": [[[...]]]` nested `depth` deep to a library's lib.json (still valid JSON, all fields right). */
async function nestDeep(root: string, depth: number): Promise<void> {
  const path = join(root, 'lib.json');
  const text = await readFile(path, 'utf8');
  await writeFile(path, text.replace(/}\s*$/, `, "junk": ${'['.repeat(depth)}${']'.repeat(depth)}}\n`));
}

test('a library whose store holds a deeply nested lib.json is refused; the other library keeps answering', async () => {
  const deepRoot = await publishLocal(work, 'deep');
  // 3,000 levels: hostile (VCSP documents nest ~6 deep), yet small enough that unchecked code accepts it fast.
  await nestDeep(deepRoot, 3_000);
  const both = await makeTenant('both', ['templates', 'deep'], 'bothbot1');
  const local = await startLocalGateway({ templates: [libRoot], deep: [deepRoot] }, [both.record]);
  try {
    const headers = { Authorization: basic(both.password) };
    for (let refresh = 0; refresh < 3; refresh++) {
      assert.equal((await raw(local.base, '/templates/lib.json', { headers })).status, 200);
      assert.equal((await raw(local.base, '/templates/items-1.json', { headers })).status, 200);
      const deep = await raw(local.base, '/deep/lib.json', { headers });
      assert.equal(deep.status, 503, 'no version of the hostile library is served');
      await Promise.all(local.gateway.libraries().map((l) => l.probeAll()));
    }
    // The reason, as `claas verify` of that folder gives it: the document and the limit.
    const v = await runCli(['verify', `file:${deepRoot}`], {
      env: { CLAAS_STATE_DIR: join(work, '.state') },
    });
    assert.equal(v.code, 1, v.stderr);
    assert.match(
      v.stdout,
      /^ERROR {3}lib\.json: .*JSON nested more than 64 levels deep \(at line \d+, column \d+\)/m,
    );
  } finally {
    await local.gateway.shutdown(0);
  }
});

/** A folder store whose listing waits for a gate: a store that accepts a request and then stalls. */
class StalledStore extends FsStore {
  constructor(
    root: string,
    private readonly gate: Promise<void>,
    private readonly asked: () => void,
  ) {
    super(root);
  }
  override async *list(prefix: string, options?: ListOptions): AsyncIterable<StoredObject> {
    this.asked();
    await this.gate;
    yield* super.list(prefix, options);
  }
}

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    }),
  );
}

test('a library whose store stalls does not keep the gateway from serving the others', async () => {
  const stalledRoot = await publishLocal(work, 'stalled');
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let asked: () => void = () => undefined;
  const wasAsked = new Promise<void>((r) => (asked = r));
  const both = await makeTenant('stall', ['templates', 'stalled'], 'stallst1');
  const port = await freePort();
  const starting = startGateway({
    host: '127.0.0.1',
    port,
    libraries: [
      { name: 'templates', replicas: [{ name: 'r0', store: new FsStore(libRoot) }] },
      { name: 'stalled', replicas: [{ name: 'r0', store: new StalledStore(stalledRoot, gate, asked) }] },
    ],
    tenants: [both.record],
  });
  try {
    await wasAsked; // the stalled library's first probe is under way, and will not end before release()
    const headers = { Authorization: basic(both.password) };
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await raw(base, '/templates/lib.json', { headers })).status, 200);
    assert.equal((await raw(base, '/templates/items-1.json', { headers })).status, 200);
    // A request for the stalled library waits for its own first probe, then is served.
    const waiting = raw(base, '/stalled/lib.json', { headers });
    release();
    assert.equal((await waiting).status, 200);
  } finally {
    release();
    await (await starting).shutdown(0);
  }
});

test('a symbolic link to a folder inside the library is not a way out of it', async () => {
  const secretDir = join(work, 'secret-dir');
  await mkdir(secretDir, { recursive: true });
  await writeFile(join(secretDir, 'serve.pw'), OUTSIDE_MARKER);
  await symlink(secretDir, join(libRoot, 'linkdir'));
  await symlink(work, join(libRoot, 'photon-mini', 'up'));
  try {
    for (const path of ['/templates/linkdir/serve.pw', '/templates/photon-mini/up/outside.txt']) {
      for (const method of ['GET', 'HEAD']) {
        const r = await raw(gw.base, path, { method, headers: auth() });
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.ok(!r.body.toString('latin1').includes(OUTSIDE_MARKER), `${path} leaked a file outside`);
      }
    }
    assert.equal((await raw(gw.base, '/templates/lib.json', { headers: auth() })).status, 200);
  } finally {
    await rm(join(libRoot, 'linkdir'));
    await rm(join(libRoot, 'photon-mini', 'up'));
  }
});
