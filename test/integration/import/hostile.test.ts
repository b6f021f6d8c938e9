// `claas import vcsp` against a hostile publisher: a tiny HTTP server on 127.0.0.1 serves a good library
// (imported once, so the destination holds a library), then one attack per test. Each attack must end in
// a non-zero exit, an error that names the offending item or field, and a destination that is byte for
// byte what it was (staging cleaned, nothing committed).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedEnv, runCli } from '../../helpers/cli.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface FileSpec {
  name: string;
  data: Buffer;
  /** The href written in the item (default `<item>/<name>`). */
  href?: string;
  /** The size written in the item (default data.length); any JSON value. */
  size?: unknown;
}

interface ItemSpec {
  id: string;
  name: string;
  version: unknown;
  type?: string;
  /** The item's folder in hrefs (default: its URL-encoded name). */
  folder?: string;
  files: FileSpec[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The routes of a library: lib.json, items.json, each item.json and each file at its href. */
function library(items: ItemSpec[], libVersion: number): Map<string, Handler> {
  const routes = new Map<string, Handler>();
  const json = (doc: unknown): Handler => {
    const body = Buffer.from(JSON.stringify(doc));
    return (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    };
  };
  const docs = items.map((item) => {
    const folder = item.folder ?? encodeURIComponent(item.name);
    const doc = {
      created: '2026-01-01T00:00:00Z',
      description: `the ${item.name} item`,
      version: item.version,
      files: item.files.map((f) => ({
        name: f.name,
        size: f.size ?? f.data.length,
        etag: '1',
        generationNum: 1,
        hrefs: [f.href ?? `${folder}/${encodeURIComponent(f.name)}`],
      })),
      id: item.id,
      name: item.name,
      properties: {},
      selfHref: `${folder}/item.json`,
      type: item.type ?? 'vcsp.other',
    };
    routes.set(`/lib/${folder}/item.json`, json(doc));
    for (const f of item.files) {
      const href = f.href ?? `${folder}/${encodeURIComponent(f.name)}`;
      if (/^[a-z]+:/i.test(href) || href.startsWith('/')) continue;
      routes.set(`/lib/${href}`, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': f.data.length });
        res.end(f.data);
      });
    }
    return doc;
  });
  routes.set('/lib/items.json', json({ items: docs }));
  routes.set(
    '/lib/lib.json',
    json({
      vcspVersion: '2',
      version: String(libVersion),
      contentVersion: '1',
      name: 'hostile',
      id: 'urn:uuid:6c7f3a3e-8a41-4d0c-9a57-2a3c1f1e0d11',
      created: '2026-01-01T00:00:00Z',
      capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
      itemsHref: 'items.json',
    }),
  );
  return routes;
}

const GOOD: ItemSpec[] = [
  {
    id: 'urn:uuid:00000000-0000-4000-8000-000000000001',
    name: 'good',
    version: '1',
    files: [{ name: 'data.bin', data: Buffer.alloc(4096, 1) }],
  },
];

/** A new item (so that it is fetched, not taken from the import record) with the given files. */
function evilItem(files: FileSpec[], extra: Partial<ItemSpec> = {}): ItemSpec {
  return { id: `urn:uuid:${randomUUID()}`, name: 'evil', version: '1', files, ...extra };
}

let server: Server;
let other: Server;
let base = '';
let otherPort = 0;
let routes = library(GOOD, 1);
let work = '';
let dest = '';
let env: Record<string, string> = {};

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

/** Every file (with its SHA-256) and every folder below dir. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        await walk(join(d, e.name), r);
      } else {
        const st = await lstat(join(d, e.name));
        out.push(`${r} ${st.size} ${sha256(await readFile(join(d, e.name)))}`);
      }
    }
  }
  await walk(dir, '');
  return out;
}

before(async () => {
  server = createServer((req, res) => {
    const handler = routes.get((req.url ?? '').split('?')[0] ?? '');
    if (handler === undefined) {
      res.writeHead(404).end();
      return;
    }
    handler(req, res);
  });
  other = createServer((_req, res) => {
    const body = Buffer.alloc(4096, 1);
    res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  base = `http://127.0.0.1:${await listen(server)}`;
  otherPort = await listen(other);
  work = await mkdtemp(join(tmpdir(), 'claas-hostile-'));
  dest = join(work, 'dest');
  env = isolatedEnv(work);
  const first = await runCli(['import', 'vcsp', `${base}/lib/lib.json`, '--to', dest, '--json'], { env });
  assert.equal(first.code, 0, first.stderr);
});

after(async () => {
  server?.close();
  other?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Serves the attack, imports, and checks exit code, message and an untouched destination. */
async function attack(next: Map<string, Handler>, message: RegExp): Promise<void> {
  routes = next;
  const beforeTree = await tree(dest);
  const r = await runCli(['import', 'vcsp', `${base}/lib/lib.json`, '--to', dest], {
    env,
    timeoutMs: 120_000,
  });
  routes = library(GOOD, 1);
  assert.notEqual(r.code, 0, `the import must fail: ${r.stdout}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /unexpected failure/);
  assert.deepEqual(await tree(dest), beforeTree, 'the destination is byte-identical');
}

test('"../" in a file href', async () => {
  await attack(
    library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.from('x'), href: '../outside.bin' }])], 2),
    /items\[1\]\.files\[0\]\.hrefs\[0\]: unsafe href.*\.\..*\(item "evil"\)/,
  );
});

test('percent-encoded "%2e%2e" in a file href', async () => {
  await attack(
    library(
      [...GOOD, evilItem([{ name: 'x.bin', data: Buffer.from('x'), href: 'evil/%2e%2e/%2e%2e/x.bin' }])],
      2,
    ),
    /items\[1\]\.files\[0\]\.hrefs\[0\]: unsafe href.*\(item "evil"\)/,
  );
});

test('an absolute URL to another host', async () => {
  await attack(
    library(
      [
        ...GOOD,
        evilItem([{ name: 'x.bin', data: Buffer.from('x'), href: `http://localhost:${otherPort}/x.bin` }]),
      ],
      2,
    ),
    /items\[1\]\.files\[0\]\.hrefs\[0\]: unsafe href: is an absolute URL \(item "evil"\)/,
  );
});

test('a file: URL', async () => {
  await attack(
    library([...GOOD, evilItem([{ name: 'passwd', data: Buffer.from('x'), href: 'file:///etc/passwd' }])], 2),
    /items\[1\]\.files\[0\]\.hrefs\[0\]: unsafe href: is an absolute URL \(item "evil"\)/,
  );
});

test('an absurd size (1 PiB)', async () => {
  await attack(
    library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.from('x'), size: 2 ** 50 }])], 2),
    /items\[1\]\.files\[0\]\.size: absurd size.*\(item "evil"\)/,
  );
});

test('a negative size', async () => {
  await attack(
    library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.from('x'), size: -1 }])], 2),
    /items\[1\]\.files\[0\]\.size: must be a non-negative integer.*\(item "evil"\)/,
  );
});

test('more bytes than the declared size', async () => {
  await attack(
    library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.alloc(5000, 2), size: 4000 }])], 2),
    /item "evil".*file "x\.bin": the source sent more bytes, but the file is declared as 4000 bytes/,
  );
});

test('fewer bytes than the declared size', async () => {
  await attack(
    library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.alloc(3000, 2), size: 4000 }])], 2),
    /item "evil".*file "x\.bin": the source sent only 3000 bytes, but the file is declared as 4000 bytes/,
  );
});

test('a wrong type: an item version that is an object', async () => {
  await attack(
    library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.from('x') }], { version: { v: 1 } })], 2),
    /items\[1\]\.version: must be a string or a number.*\(item "evil"\)/,
  );
});

test('duplicate item ids', async () => {
  const twin = { ...GOOD[0]!, name: 'twin' };
  await attack(
    library([...GOOD, twin], 2),
    /item "twin".*item id "urn:uuid:0+-0000-4000-8000-0+1" is used twice/,
  );
});

test('duplicate item names (differing only in letter case)', async () => {
  await attack(
    library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.from('x') }], { name: 'GOOD' })], 2),
    /item "GOOD".*two items are named "good" and "GOOD"/,
  );
});

test('an item name with a slash', async () => {
  await attack(
    library(
      [...GOOD, evilItem([{ name: 'x.bin', data: Buffer.from('x') }], { name: 'a/b', folder: 'ab' })],
      2,
    ),
    /item "a\/b".*the item name "a\/b" is not a safe folder name/,
  );
});

test('an item name with a control character', async () => {
  await attack(
    library(
      [
        ...GOOD,
        evilItem([{ name: 'x.bin', data: Buffer.from('x') }], { name: 'bell\u0007', folder: 'bell' }),
      ],
      2,
    ),
    /item "bell\\u0007".*the item name "bell\\u0007" is not a safe folder name/,
  );
});

test('a lib.json larger than the limit', async () => {
  const next = library(GOOD, 2);
  const body = Buffer.alloc(2 * 1024 * 1024, 0x20);
  next.set('/lib/lib.json', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }); // no Content-Length: the reader must cut it
    res.end(body);
  });
  await attack(next, /lib\.json: .*lib\.json is larger than 1048576 bytes/);
});

test('bytes that do not match the SHA-256 of a content-addressed href', async () => {
  const data = Buffer.from('these are not the bytes the href names');
  const claimed = sha256(Buffer.from('other bytes'));
  await attack(
    library([...GOOD, evilItem([{ name: 'x.bin', data, href: `evil/${claimed}/x.bin` }])], 2),
    new RegExp(
      `item "evil".*file "x\\.bin": SHA256 of the bytes received is ${sha256(data)}, but its content-addressed href`,
    ),
  );
});

test('a redirect to another host', async () => {
  const next = library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.alloc(4096, 1) }])], 2);
  next.set('/lib/evil/x.bin', (_req, res) => {
    res.writeHead(302, { Location: `http://localhost:${otherPort}/x.bin` }).end();
  });
  await attack(
    next,
    /item "evil".*file "x\.bin".*redirected to http:\/\/localhost:\d+\/x\.bin, another host/,
  );
});

test('a redirect to another port, open or closed, is refused before connecting, with one message', async () => {
  let asked = 0;
  const counting = createServer((_req, res) => {
    asked++;
    res.writeHead(200, { 'Content-Length': 4096 }).end(Buffer.alloc(4096, 1));
  });
  const openPort = await listen(counting);
  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve())); // nothing listens there now
  const messages: string[] = [];
  try {
    for (const port of [openPort, closedPort]) {
      const next = library([...GOOD, evilItem([{ name: 'x.bin', data: Buffer.alloc(4096, 1) }])], 2);
      next.set('/lib/evil/x.bin', (_req, res) => {
        res.writeHead(302, { Location: `http://127.0.0.1:${port}/x.bin` }).end();
      });
      routes = next;
      const r = await runCli(['import', 'vcsp', `${base}/lib/lib.json`, '--to', dest], { env });
      routes = library(GOOD, 1);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(
        r.stderr,
        /redirected to http:\/\/127\.0\.0\.1:\d+\/x\.bin, another host than the library's .*not followed/,
      );
      messages.push(r.stderr.replaceAll(String(port), 'PORT'));
    }
  } finally {
    counting.close();
  }
  assert.equal(asked, 0, 'the redirect target was never asked');
  assert.equal(messages[0], messages[1], 'an open and a closed port give the same answer');
});

/** A route serving the JSON text another route serves, changed by `edit` (the text of one line). */
function editJson(handler: Handler, edit: (text: string) => string): Handler {
  let body = '';
  const capture = {
    writeHead: () => capture,
    end: (b: Buffer) => void (body = b.toString()),
  };
  handler({} as IncomingMessage, capture as unknown as ServerResponse);
  const text = Buffer.from(edit(body));
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': text.length });
    res.end(text);
  };
}

test('a lib.json nested 20,000 deep (39 KB) is refused at once, naming the document and the limit', async () => {
  const next = library(GOOD, 2);
  next.set(
    '/lib/lib.json',
    editJson(next.get('/lib/lib.json')!, (t) =>
      t.replace(/}$/, `,"junk":${'['.repeat(20_000)}${']'.repeat(20_000)}}`),
    ),
  );
  await attack(next, /lib\.json: .*JSON nested more than 64 levels deep \(at line 1, column \d+\)/);
});

test('an items.json with a deeply nested field in an item', async () => {
  const next = library(GOOD, 2);
  next.set(
    '/lib/items.json',
    editJson(next.get('/lib/items.json')!, (t) =>
      t.replace('"properties":{}', `"properties":{"x":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`),
    ),
  );
  await attack(next, /items\.json: .*JSON nested more than 64 levels deep/);
});

test('an endless VCSP 503 "busy"', async () => {
  const next = library(GOOD, 2);
  let asked = 0;
  next.set('/lib/lib.json', (_req, res) => {
    asked++;
    const body = JSON.stringify({ status: 'preparing', progress: 10, message: '' });
    res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '0' }).end(body);
  });
  await attack(next, /lib\.json: http:\/\/127\.0\.0\.1:\d+\/lib\/lib\.json is unavailable \(HTTP 503\)/);
  assert.ok(asked > 1, 'the busy endpoint was polled');
});

test('an item.json that contradicts its index entry', async () => {
  const evil = evilItem([{ name: 'x.bin', data: Buffer.from('x') }]);
  const next = library([...GOOD, evil], 2);
  const lying = library([...GOOD, { ...evil, version: '7' }], 2);
  next.set('/lib/evil/item.json', lying.get('/lib/evil/item.json')!);
  await attack(next, /evil\/item\.json: version is "7", but items\.json lists "1" for item "evil"/);
});

test('an OVF item whose manifest disagrees with its disk', async () => {
  const ovf = Buffer.from(
    '<?xml version="1.0"?><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" ' +
      'xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"><References>' +
      '<File ovf:href="vm-disk1.vmdk" ovf:id="file1" ovf:size="4"/></References>' +
      '<VirtualSystem ovf:id="vm"><Info>vm</Info></VirtualSystem></Envelope>\n',
  );
  const disk = Buffer.from('DISK');
  const mf = Buffer.from(
    `SHA256(vm.ovf)= ${sha256(ovf)}\nSHA256(vm-disk1.vmdk)= ${sha256(Buffer.from('KSID'))}\n`,
  );
  await attack(
    library(
      [
        ...GOOD,
        evilItem(
          [
            { name: 'vm.ovf', data: ovf },
            { name: 'vm-disk1.vmdk', data: disk },
            { name: 'vm.mf', data: mf },
          ],
          { type: 'vcsp.ovf' },
        ),
      ],
      2,
    ),
    /item "evil".*file "vm-disk1\.vmdk": SHA256 of the bytes received is [0-9a-f]{64}, but manifest vm\.mf says/,
  );
});

test('after all attacks the good library still imports and nothing was downloaded again', async () => {
  const r = await runCli(['import', 'vcsp', `${base}/lib/lib.json`, '--to', dest, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { committed: boolean; download: { files: number } };
  assert.equal(doc.committed, false);
  assert.equal(doc.download.files, 0);
  assert.ok(!(await tree(dest)).some((e) => e.startsWith('.claas/staging')), 'no staging left');
});
