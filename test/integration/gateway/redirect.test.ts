// gateway.redirect against the Ceph two-zone cluster, with `claas gateway` run as users run it. The gateway
// reads the library from us-west-2 (the same bucket through the west zone's endpoint) with the subscriber
// user's read-only credential. A client independent of claas (fetch with redirect: 'manual', then a second
// fetch of the Location without any gateway credential) shows:
//  - file GETs get a 302 to a presigned URL at the replica the gateway chose (path style, the gateway's
//    credential, the configured expiry), and the URL alone fetches byte-identical bytes, ranges included;
//  - lib.json, the item index and item documents are still answered by the gateway (200), HEAD is proxied,
//    a conditional GET is answered by the gateway;
//  - no 302 without a valid password or for a library the tenant was not granted;
//  - a presigned URL changed to read another key (another library's file, another file), or to live longer,
//    is refused by the store (403); a URL valid for 1 s is refused after it expired;
//  - a library whose replica is not in redirect.stores is proxied;
//  - no presigned URL (signature, credential) reaches the gateway's logs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { isolatedEnv } from '../../helpers/cli.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  openTestStore,
  putReadOnlyPolicy,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import {
  accessLog,
  addTenant,
  publishToCeph,
  startCliGateway,
  waitUntil,
  writeConfig,
} from './cli-gateway.js';
import type { RunningGateway } from './cli-gateway.js';
import { basic } from '../../helpers/http.js';

const skip = cephSkip();
let work = '';
let env: Record<string, string> = {};
let bucket = '';
let gw: RunningGateway | undefined;
/** A second gateway whose URLs are valid for 1 s. */
let shortGw: RunningGateway | undefined;
const passwords: Record<string, string> = {};
/** Content-addressed file keys (<item>/<sha256>/<name>) of each library. */
const files: Record<string, string[]> = {};
const BIG_MIB = 12;
let big = Buffer.alloc(0);

const auth = (tenant: string) => ({ Authorization: basic(passwords[tenant]!) });
const href = (key: string) => key.split('/').map(encodeURIComponent).join('/');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hashOf = (key: string) => key.split('/')[1]!;

/** A request as an HTTP client that does not follow redirects sends it. */
function ask(base: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return fetch(`${base}${path}`, { method, headers, redirect: 'manual' });
}

/** A file GET through the gateway that must be redirected: returns the presigned URL. */
async function locationOf(
  base: string,
  library: string,
  key: string,
  tenant = 'globex',
  headers: Record<string, string> = {},
): Promise<URL> {
  const r = await ask(base, `/${library}/${href(key)}`, { ...auth(tenant), ...headers });
  await r.arrayBuffer();
  assert.equal(r.status, 302, `${library}/${key}`);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  return new URL(r.headers.get('location')!);
}

/** The store's answer to a presigned URL, fetched with no credential of any kind. */
async function fetchStore(url: URL | string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { headers, redirect: 'manual' });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

async function contentKeys(prefix: string): Promise<string[]> {
  const store = await openTestStore('publisher', bucket, prefix);
  try {
    const keys: string[] = [];
    for await (const o of store.list('')) if (/^[^/]+\/[0-9a-f]{64}\/[^/]+$/.test(o.key)) keys.push(o.key);
    return keys;
  } finally {
    store.close();
  }
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-gw-redirect-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  bucket = uniqueBucketName('claas-redirect');
  await createBucket(bucket);
  await putReadOnlyPolicy(bucket, 'subscriber');
  const src = join(work, 'src');
  await writeSampleSource(src);
  big = Buffer.alloc(BIG_MIB * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 12)) % 251;
  await mkdir(join(src, 'big'), { recursive: true });
  await writeFile(join(src, 'big', 'big.iso'), big);
  await publishToCeph(env, src, `s3://${bucket}/lib`);
  const isos = join(work, 'src-isos');
  await mkdir(isos, { recursive: true });
  await writeFile(join(isos, 'tools.iso'), 'iso bytes of another library');
  await publishToCeph(env, isos, `s3://${bucket}/isos`);
  files.templates = await contentKeys('lib');
  files.isos = await contentKeys('isos');

  const e = cephEnv()!;
  const store = (location: string, zone: 'us-east-1' | 'us-west-2', profile: string) => ({
    location,
    endpoint: e.endpoints[zone],
    region: zone,
    profile,
  });
  const config = async (
    file: string,
    library: string,
    prefix: string,
    prefer: string[],
    redirect: string,
  ) => {
    await writeConfig(join(work, file), {
      library,
      origin: store(`s3://${bucket}/${prefix}`, 'us-east-1', 'publisher'),
      replicas: [{ name: 'west', ...store(`s3://${bucket}/${prefix}`, 'us-west-2', 'subscriber') }],
      prefer,
      gatewayProfile: 'subscriber',
      tenants: './tenants.json',
    });
    await appendFile(join(work, file), `  redirect: ${redirect}\n`);
  };
  // Templates: redirected to us-west-2 (15 minutes). Isos: read from us-west-2, which its vCenters cannot
  // reach (redirect only to the origin): proxied. The short gateway: URLs valid for 1 s, at the origin.
  await config('templates.yaml', 'templates', 'lib', ['west', 'origin'], 'true');
  await config('isos.yaml', 'isos', 'isos', ['west'], '{ stores: [origin] }');
  await config('short.yaml', 'templates', 'lib', ['origin'], '{ expires: 1s }');
  const configs = [join(work, 'templates.yaml'), join(work, 'isos.yaml')];
  passwords.acme = await addTenant(env, 'acme', ['templates'], configs);
  passwords.globex = await addTenant(env, 'globex', ['templates', 'isos'], configs);

  const args = (...files: string[]) => [
    ...files.flatMap((f) => ['--config', join(work, f)]),
    '--listen',
    '127.0.0.1:0',
    '--refresh',
    '300ms',
  ];
  gw = await startCliGateway(args('templates.yaml', 'isos.yaml'), env);
  shortGw = await startCliGateway(args('short.yaml'), env);
  // Both libraries served from us-west-2 (Ceph replicates in seconds).
  await waitUntil(
    async () => {
      const t = await ask(gw!.base, `/templates/${href(files.templates![0]!)}`, auth('globex'));
      const i = await ask(gw!.base, `/isos/${href(files.isos![0]!)}`, auth('globex'));
      await Promise.all([t.arrayBuffer(), i.arrayBuffer()]);
      return t.status === 302 && new URL(t.headers.get('location')!).port === '7481' && i.status === 200;
    },
    120_000,
    'both libraries served from us-west-2',
    500,
  );
});

after(async () => {
  if (gw !== undefined) await gw.stop();
  if (shortGw !== undefined) await shortGw.stop();
  if (bucket) await deleteBucket(bucket);
  if (work) await rm(work, { recursive: true, force: true });
});

test(
  'every file: a 302 to a presigned URL at us-west-2 that alone fetches byte-identical bytes',
  { skip },
  async () => {
    const e = cephEnv()!;
    assert.ok(files.templates!.length >= 5, files.templates!.join(', '));
    for (const key of files.templates!) {
      const url = await locationOf(gw!.base, 'templates', key, 'acme');
      assert.equal(url.origin, new URL(e.endpoints['us-west-2']).origin, 'the replica the gateway chose');
      assert.equal(url.pathname, `/${bucket}/lib/${href(key)}`, 'path style, under the library prefix');
      assert.match(
        url.searchParams.get('X-Amz-Credential')!,
        new RegExp(`^${e.users.subscriber.accessKeyId}/\\d{8}/us-west-2/s3/aws4_request$`),
        "signed with the gateway's read-only credential",
      );
      assert.equal(url.searchParams.get('X-Amz-Expires'), '900', 'default: 15 minutes');
      const got = await fetchStore(url);
      assert.equal(got.status, 200, got.body.toString());
      assert.equal(sha256(got.body), hashOf(key), `${key}: the published bytes`);
      const head = await ask(gw!.base, `/templates/${href(key)}`, auth('acme'), 'HEAD');
      assert.equal(head.status, 200, 'HEAD is answered by the gateway');
      assert.equal(head.headers.get('location'), null);
      assert.equal(Number(head.headers.get('content-length')), got.body.length);
      assert.equal(got.headers.get('content-type'), head.headers.get('content-type'), 'same Content-Type');
    }
    const bigKey = files.templates!.find((k) => k.endsWith('/big.iso'))!;
    assert.equal(hashOf(bigKey), sha256(big));
  },
);

test(
  'Range: the 302 keeps no range of its own; the client sends Range to the store and gets those bytes',
  { skip },
  async () => {
    const bigKey = files.templates!.find((k) => k.endsWith('/big.iso'))!;
    for (const [range, start, end] of [
      ['bytes=1048570-2097160', 1_048_570, 2_097_160],
      ['bytes=-100', big.length - 100, big.length - 1],
      [`bytes=${big.length - 10}-`, big.length - 10, big.length - 1],
    ] as const) {
      const url = await locationOf(gw!.base, 'templates', bigKey, 'acme', { Range: range });
      const got = await fetchStore(url, { Range: range });
      assert.equal(got.status, 206, range);
      assert.equal(got.headers.get('content-range'), `bytes ${start}-${end}/${big.length}`);
      assert.ok(got.body.equals(big.subarray(start, end + 1)), range);
    }
    // The same ranges through the gateway as a proxy (conditional GET: not redirected) agree.
    const proxied = await ask(gw!.base, `/templates/${href(bigKey)}`, {
      ...auth('acme'),
      Range: 'bytes=1048570-2097160',
      'If-Range': `"${hashOf(bigKey)}"`,
    });
    assert.equal(proxied.status, 206);
    assert.ok(Buffer.from(await proxied.arrayBuffer()).equals(big.subarray(1_048_570, 2_097_161)));
  },
);

test(
  'lib.json, the item index and item documents are answered by the gateway; so are conditional GETs',
  { skip },
  async () => {
    const lib = await ask(gw!.base, '/templates/lib.json', auth('acme'));
    assert.equal(lib.status, 200);
    const libDoc = (await lib.json()) as { itemsHref: string };
    const items = await ask(gw!.base, `/templates/${libDoc.itemsHref}`, auth('acme'));
    assert.equal(items.status, 200);
    const itemsDoc = (await items.json()) as { items: { selfHref: string }[] };
    assert.ok(itemsDoc.items.length >= 3);
    for (const item of itemsDoc.items) {
      const r = await ask(gw!.base, `/templates/${item.selfHref}`, auth('acme'));
      assert.equal(r.status, 200, item.selfHref);
      assert.equal(r.headers.get('location'), null);
      assert.ok(((await r.json()) as { files?: unknown[] }).files !== undefined);
    }
    const key = files.templates![0]!;
    const cached = await ask(gw!.base, `/templates/${href(key)}`, {
      ...auth('acme'),
      'If-None-Match': `"${hashOf(key)}"`,
    });
    assert.equal(cached.status, 304, 'the gateway knows its own ETag');
  },
);

test('no 302 without a valid password or for a library not granted', { skip }, async () => {
  const key = href(files.templates![0]!);
  const none = await ask(gw!.base, `/templates/${key}`);
  const wrong = await ask(gw!.base, `/templates/${key}`, {
    Authorization: basic(`${passwords.acme!.slice(0, -2)}${passwords.acme!.endsWith('xx') ? 'yy' : 'xx'}`),
  });
  const notGranted = await ask(gw!.base, `/isos/${href(files.isos![0]!)}`, auth('acme'));
  const missing = await ask(
    gw!.base,
    `/templates/${href(files.templates![0]!.replace(/\/[^/]+$/, '/nothing.iso'))}`,
    auth('acme'),
  );
  for (const [r, status] of [
    [none, 401],
    [wrong, 401],
    [notGranted, 404], // a library not granted is the 404 of a library that does not exist
    [missing, 404],
  ] as const) {
    await r.arrayBuffer();
    assert.equal(r.status, status);
    assert.equal(r.headers.get('location'), null);
  }
});

test(
  'a presigned URL changed to read another key, or to live longer, is refused by the store',
  { skip },
  async () => {
    const [first, second] = files.templates!;
    const url = await locationOf(gw!.base, 'templates', first!, 'acme');
    assert.equal((await fetchStore(url)).status, 200, 'the URL as given works');
    const otherLibrary = new URL(url);
    otherLibrary.pathname = `/${bucket}/isos/${href(files.isos![0]!)}`;
    const otherFile = new URL(url);
    otherFile.pathname = `/${bucket}/lib/${href(second!)}`;
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    for (const [what, altered] of [
      ['another library', otherLibrary],
      ['another file', otherFile],
      ['a longer expiry', longer],
    ] as const) {
      const r = await fetchStore(altered);
      assert.equal(r.status, 403, `${what}: ${r.body.toString()}`);
      assert.match(r.body.toString(), /<Code>SignatureDoesNotMatch<\/Code>/, what);
    }
  },
);

test('a URL valid for 1 s is refused once it has expired', { skip }, async () => {
  const key = files.templates![0]!;
  const url = await locationOf(shortGw!.base, 'templates', key, 'acme');
  assert.equal(url.searchParams.get('X-Amz-Expires'), '1');
  assert.equal(url.port, new URL(cephEnv()!.endpoints['us-east-1']).port, 'short.yaml reads the origin');
  await new Promise((r) => setTimeout(r, 2_500));
  const r = await fetchStore(url);
  assert.equal(r.status, 403, r.body.toString());
  // Refused for its age (RGW: AccessDenied), not for its signature (SignatureDoesNotMatch).
  assert.match(r.body.toString(), /<Code>AccessDenied<\/Code>/);
});

test('a library whose replica is not in redirect.stores is proxied', { skip }, async () => {
  const key = files.isos![0]!;
  const r = await ask(gw!.base, `/isos/${href(key)}`, auth('globex'));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('location'), null);
  assert.equal(sha256(Buffer.from(await r.arrayBuffer())), hashOf(key));
  const log = accessLog(gw!.logs).filter((l) => l.path === `/isos/${href(key)}` && l.status === 200);
  assert.ok(log.length > 0 && log.every((l) => l.replica === 'west'));
});

test(
  'redirects are logged with the key and status only: no presigned URL in any log line',
  { skip },
  async () => {
    const redirected = accessLog(gw!.logs).filter((l) => l.status === 302);
    assert.ok(redirected.length >= files.templates!.length);
    assert.ok(redirected.every((l) => l.replica === 'west' && !String(l.path).includes('?')));
    const text = [...gw!.logs, ...shortGw!.logs].map((l) => JSON.stringify(l)).join('\n');
    for (const part of ['X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Expires']) {
      assert.ok(!text.includes(part), `a log line holds a presigned URL (${part})`);
    }
  },
);
