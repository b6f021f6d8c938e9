// HttpLibrarySource as vCenter's client: redirects (credentials only to the library's origin), VCSP
// busy polling, size limits, clear errors for bad URLs and unreachable servers, and TLS trusted by a
// pinned SHA-1 thumbprint or a CA file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpLibrarySource } from '../../../src/subscriber/reader.js';
import { startVcspServer } from '../../../src/gateway/vcsp-server.js';
import { generateSelfSigned } from '../../../src/net/tls.js';
import { FsStore } from '../../../src/store/fs.js';
import { isClaasError } from '../../../src/errors.js';
import type { AccessLogEntry } from '../../../src/gateway/handler.js';
import { hasOpenssl } from '../gateway/openssl.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function withHttp(handler: Handler, fn: (base: string) => Promise<void>): Promise<void> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    await fn(`http://127.0.0.1:${port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('redirects are followed (up to 5) within the library origin; one elsewhere is refused before connecting', async () => {
  const seen: Array<{ url: string; auth: string | undefined }> = [];
  await withHttp(
    (req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.end('{"from":"other"}');
    },
    async (other) => {
      await withHttp(
        (req, res) => {
          seen.push({ url: req.url ?? '', auth: req.headers.authorization });
          if (req.url === '/lib.json') return void res.writeHead(302, { Location: '/real/lib.json' }).end();
          if (req.url === '/real/lib.json') return void res.end('{"ok":true}');
          if (req.url === '/away.json') return void res.writeHead(307, { Location: `${other}/x.json` }).end();
          if (req.url === '/loop.json') return void res.writeHead(301, { Location: '/loop.json' }).end();
          res.writeHead(404).end();
        },
        async (base) => {
          const src = new HttpLibrarySource(`${base}/lib.json`, { password: 'pw' });
          assert.equal((await src.getJson(src.libHref)).text, '{"ok":true}');
          await assert.rejects(
            src.getJson('away.json'),
            (e) =>
              isClaasError(e, 'PROTOCOL') &&
              e.message ===
                `${base}/away.json redirected to ${other}/x.json, another host than the library's ` +
                  `(${new URL(base).host}); not followed`,
          );
          assert.equal(
            seen.find((s) => s.url === '/x.json'),
            undefined,
            'nothing is asked of the other origin, credentials or not',
          );
          assert.ok(seen.every((s) => s.auth?.startsWith('Basic ')));
          await assert.rejects(
            src.getJson('loop.json'),
            (e) => isClaasError(e, 'PROTOCOL') && /redirects/.test(e.message),
          );
          await assert.rejects(src.getJson('missing.json'), (e) => isClaasError(e, 'NOT_FOUND'));
          src.close();
        },
      );
    },
  );
});

test('a VCSP busy 503 is polled until ready; a busy answer with a message fails', async () => {
  let calls = 0;
  await withHttp(
    (req, res) => {
      if (req.url === '/lib.json') {
        calls++;
        if (calls < 3)
          return void res
            .writeHead(503, { 'Content-Type': 'application/json' })
            .end('{"status":"busy","progress":50,"message":""}');
        return void res.end('{"ready":true}');
      }
      res.writeHead(503).end('{"status":"failed","progress":0,"message":"disk full"}');
    },
    async (base) => {
      const src = new HttpLibrarySource(`${base}/lib.json`, { busyDelayMs: 5 });
      assert.equal((await src.getJson('lib.json')).text, '{"ready":true}');
      assert.equal(calls, 3);
      await assert.rejects(
        src.getJson('items.json'),
        (e) => isClaasError(e, 'PROTOCOL') && /disk full/.test(e.message),
      );
      src.close();
    },
  );
});

test('sizes by HEAD, or by a one-byte range when HEAD is not allowed; absurd JSON is refused', async () => {
  await withHttp(
    (req, res) => {
      if (req.url === '/huge.json') {
        res.writeHead(200, { 'Content-Length': String(65 * 1024 * 1024) });
        return void res.write('{');
      }
      if (req.method === 'HEAD') return void res.writeHead(405).end();
      if (req.url === '/file.bin' && req.headers.range === 'bytes=0-0') {
        return void res.writeHead(206, { 'Content-Range': 'bytes 0-0/1234', 'Content-Length': '1' }).end('x');
      }
      res.writeHead(404).end();
    },
    async (base) => {
      const src = new HttpLibrarySource(`${base}/lib.json`);
      assert.equal(await src.size('file.bin'), 1234);
      assert.equal(await src.size('gone.bin'), undefined);
      await assert.rejects(
        src.getJson('huge.json'),
        (e) => isClaasError(e, 'PROTOCOL') && /never that large/.test(e.message),
      );
      src.close();
    },
  );
});

test('bad URLs and unreachable servers: clear errors without the password', async () => {
  assert.throws(
    () => new HttpLibrarySource('not a url'),
    (e) => isClaasError(e, 'BAD_INPUT'),
  );
  assert.throws(
    () => new HttpLibrarySource('ftp://host/lib.json'),
    (e) => isClaasError(e, 'BAD_INPUT'),
  );
  assert.throws(
    () => new HttpLibrarySource('http://host/dir/'),
    (e) => isClaasError(e, 'BAD_INPUT'),
  );
  assert.throws(
    () => new HttpLibrarySource('https://vcsp:hunter2@host/lib.json'),
    (e) => isClaasError(e, 'BAD_INPUT') && !JSON.stringify(e.toJSON()).includes('hunter2'),
  );
  // A port that was just free: nothing listens there.
  let port = 0;
  await withHttp(
    (_req, res) => res.end(),
    async (base) => {
      port = Number(new URL(base).port);
    },
  );
  const src = new HttpLibrarySource(`http://127.0.0.1:${port}/lib.json`, { password: 'hunter2' });
  await assert.rejects(
    src.getJson('lib.json'),
    (e) =>
      isClaasError(e, 'UNREACHABLE') &&
      e.input === `http://127.0.0.1:${port}/lib.json` &&
      !JSON.stringify(e.toJSON()).includes('hunter2'),
  );
  // Hostile hrefs never leave the library root.
  await assert.rejects(src.getJson('../../etc/passwd'), (e) => isClaasError(e, 'PROTOCOL'));
  await assert.rejects(src.getJson('http://evil.example/x'), (e) => isClaasError(e, 'PROTOCOL'));
});

test(
  'TLS: a pinned thumbprint or a CA file is trusted; anything else is refused before the request is sent',
  { skip: !hasOpenssl() && 'openssl not installed' },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claas-pin-'));
    const { cert, key } = await generateSelfSigned('127.0.0.1');
    await writeFile(join(dir, 'lib.json'), '{"tls":true}');
    await writeFile(join(dir, 'ca.pem'), cert);
    const log: AccessLogEntry[] = [];
    const server = await startVcspServer({
      store: new FsStore(dir),
      host: '127.0.0.1',
      port: 0,
      tls: { cert, key },
      password: 'pw',
      onRequest: (e) => log.push(e),
    });
    try {
      const pinned = new HttpLibrarySource(server.url, { password: 'pw', thumbprint: server.thumbprint! });
      assert.equal((await pinned.getJson('lib.json')).text, '{"tls":true}');
      assert.equal(await pinned.size('lib.json'), 12);
      pinned.close();
      const lower = new HttpLibrarySource(server.url, {
        password: 'pw',
        thumbprint: server.thumbprint!.replace(/:/g, '').toLowerCase(),
      });
      assert.equal((await lower.getJson('lib.json')).text, '{"tls":true}');
      lower.close();
      const withCa = new HttpLibrarySource(server.url, { password: 'pw', caFile: join(dir, 'ca.pem') });
      assert.equal((await withCa.getJson('lib.json')).text, '{"tls":true}');
      withCa.close();

      const served = log.length;
      const wrongPin = new HttpLibrarySource(server.url, { password: 'pw', thumbprint: '00'.repeat(20) });
      await assert.rejects(
        wrongPin.getJson('lib.json'),
        (e) => isClaasError(e, 'AUTH') && /thumbprint/.test(e.message),
      );
      const untrusted = new HttpLibrarySource(server.url, { password: 'pw' });
      await assert.rejects(
        untrusted.getJson('lib.json'),
        (e) => isClaasError(e, 'AUTH') && /--thumbprint/.test(e.hint ?? ''),
      );
      assert.equal(log.length, served, 'no request (and no password) reached the server');
      const noCa = new HttpLibrarySource(server.url, { caFile: join(dir, 'missing.pem') });
      await assert.rejects(noCa.getJson('lib.json'), (e) => isClaasError(e, 'NOT_FOUND'));
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
