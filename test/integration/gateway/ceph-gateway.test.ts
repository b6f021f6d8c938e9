// The gateway against the Ceph two-zone cluster, run as users run it (`claas gateway`, `claas tenant`,
// `claas publish` as processes; AWS profiles). The gateway prefers us-west-2 (the same bucket through the
// west zone's endpoint, read with the subscriber user, which a read-only bucket policy lets read) over the
// origin (us-east-1). Proven with the project's subscriber-side reader (syncLibrary) through the gateway
// with Basic auth:
//  - it serves the previous version while Ceph is still replicating a new one to us-west-2, and the new one
//    once it is complete there;
//  - tenant isolation between two libraries;
//  - tenant changes without a restart (file watch, SIGHUP), graceful SIGTERM finishing a transfer.
//
// How "still replicating" is made observable, honestly. Measured here, Ceph copies a new object to
// us-west-2 about a second after it lands in us-east-1, a 384 MiB file as fast as lib.json and in either
// order, so a plain race shows "lib.json ahead of its files" only now and then. The test therefore:
//  1. holds Ceph's replication of its own bucket back (`radosgw-admin bucket sync disable`, Ceph's own
//     switch) and publishes version 2 (with a 128 MiB file) to us-east-1: the gateway sees version 2
//     complete at the origin and still serves version 1 from us-west-2 (nearest first);
//  2. while replication is held, copies version 2's JSON documents (snapshot, item JSON, index, lib.json
//     last) but not the big file to us-west-2 itself, as the bucket owner: the state Ceph's unordered
//     replication leaves now and then, made on purpose. The gateway sees us-west-2's lib.json at version 2
//     and keeps serving version 1; a whole sync through it gets version 1;
//  3. lets Ceph replicate (`bucket sync enable`): real replication brings the big file, and the gateway
//     serves version 2 only once it is complete there (checked on every poll).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { HttpLibrarySource } from '../../../src/subscriber/reader.js';
import { syncLibrary } from '../../../src/subscriber/sync.js';
import type { SyncState } from '../../../src/subscriber/sync.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  makeS3Client,
  openTestStore,
  putReadOnlyPolicy,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import {
  accessLog,
  addTenant,
  bucketSync as holdSync,
  publishToCeph,
  startCliGateway,
  waitUntil,
  writeConfig,
} from './cli-gateway.js';
import type { RunningGateway } from './cli-gateway.js';
import { basic, http } from '../../helpers/http.js';

const skip = cephSkip();
const holdSkip =
  skip ||
  (cephEnv()?.cephConf === undefined
    ? 'CLAAS_TEST_CEPH_CONF is not set: cannot hold replication back with radosgw-admin'
    : false);
let work = '';
let env: Record<string, string> = {};
let bucket = '';
let gw: RunningGateway | undefined;
const passwords: Record<string, string> = {};
const BIG_MIB = 128;
let v1State: SyncState | undefined;

const auth = (tenant: string) => ({ Authorization: basic(passwords[tenant]!) });

const publish = (src: string, prefix: string) => publishToCeph(env, src, `s3://${bucket}/${prefix}`);
const configs = () => [join(work, 'templates.yaml'), join(work, 'isos.yaml')];

async function servedVersion(tenant = 'acme', library = 'templates'): Promise<number> {
  const r = await http(gw!.base, `/${library}/lib.json`, { headers: auth(tenant) });
  assert.equal(r.status, 200, r.body.toString());
  return Number((JSON.parse(r.body.toString()) as { version: string }).version);
}

async function metrics(): Promise<string> {
  return (await http(gw!.base, '/metrics')).body.toString();
}

function metric(text: string, name: string, labels: string): number | undefined {
  const m = new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

async function syncThrough(tenant: string, dir: string, state?: SyncState) {
  const source = new HttpLibrarySource(`${gw!.base}/templates/lib.json`, { password: passwords[tenant]! });
  try {
    return await syncLibrary(source, join(work, dir), state);
  } finally {
    source.close?.();
  }
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-gw-ceph-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  bucket = uniqueBucketName('claas-gw');
  await createBucket(bucket);
  await putReadOnlyPolicy(bucket, 'subscriber');
  const src = join(work, 'src');
  await writeSampleSource(src);
  await publish(src, 'lib');
  const isos = join(work, 'src-isos');
  await mkdir(isos, { recursive: true });
  await writeFile(join(isos, 'tools.iso'), 'iso bytes');
  await publish(isos, 'isos');
  const e = cephEnv()!;
  const store = (location: string, zone: 'us-east-1' | 'us-west-2', profile: string) => ({
    location,
    endpoint: e.endpoints[zone],
    region: zone,
    profile,
  });
  for (const [library, prefix] of [
    ['templates', 'lib'],
    ['isos', 'isos'],
  ] as const) {
    await writeConfig(join(work, `${library}.yaml`), {
      library,
      origin: store(`s3://${bucket}/${prefix}`, 'us-east-1', 'publisher'),
      replicas: [{ name: 'west', ...store(`s3://${bucket}/${prefix}`, 'us-west-2', 'subscriber') }],
      prefer: ['west', 'origin'],
      gatewayProfile: 'subscriber',
      tenants: './tenants.json',
    });
  }
  for (const [tenant, libs] of [
    ['acme', ['templates']],
    ['globex', ['templates', 'isos']],
  ] as const) {
    passwords[tenant] = await addTenant(env, tenant, libs, configs());
  }
  // Both libraries complete at us-west-2 before the gateway starts (Ceph replicates in seconds).
  const west = await openTestStore('subscriber', bucket, 'lib', { zone: 'us-west-2' });
  const westIsos = await openTestStore('subscriber', bucket, 'isos', { zone: 'us-west-2' });
  const { newestCompleteVersion } = await import('../../../src/replicate/consistency.js');
  await waitUntil(
    async () =>
      (await newestCompleteVersion(west))?.version === 1 &&
      (await newestCompleteVersion(westIsos))?.version === 1,
    120_000,
    'version 1 at us-west-2',
  );
  gw = await startCliGateway(
    [
      '--config',
      join(work, 'templates.yaml'),
      '--config',
      join(work, 'isos.yaml'),
      '--listen',
      '127.0.0.1:0',
      '--refresh',
      '200ms',
    ],
    env,
  );
});

after(async () => {
  if (gw !== undefined) await gw.stop();
  if (bucket) await deleteBucket(bucket);
  if (work) await rm(work, { recursive: true, force: true });
});

test(
  'prints each subscription URL; serves version 1 from us-west-2; a subscriber syncs it with Basic auth',
  { skip },
  async () => {
    assert.deepEqual(
      gw!.info.urls.map((u) => u.url),
      [`${gw!.base}/templates/lib.json`, `${gw!.base}/isos/lib.json`],
    );
    assert.equal(await servedVersion(), 1);
    const sync = await syncThrough('acme', 'sub-v1');
    assert.equal(sync.state.libVersion, '1');
    assert.deepEqual([...sync.downloaded].sort(), ['README.txt', 'photon-mini', 'tools']);
    v1State = sync.state;
    const files = accessLog(gw!.logs).filter(
      (l) => l.tenant === 'acme' && l.status === 200 && /\/[0-9a-f]{64}\//.test(l.path),
    );
    assert.ok(files.length >= 4);
    assert.ok(
      files.every((l) => l.replica === 'west'),
      JSON.stringify(files.map((l) => l.replica)),
    );
    const health = JSON.parse((await http(gw!.base, '/healthz')).body.toString()) as {
      status: string;
      replicas: Record<string, boolean>;
    };
    assert.deepEqual(health, {
      status: 'ok',
      libraries: { served: 2, total: 2 },
      replicas: { west: true, origin: true },
    });
  },
);

test(
  'tenant isolation: a library not granted is the 404 of a library that does not exist',
  { skip },
  async () => {
    const notGranted = await http(gw!.base, '/isos/lib.json', { headers: auth('acme') });
    const missing = await http(gw!.base, '/nonexistent/lib.json', { headers: auth('acme') });
    assert.equal(notGranted.status, 404);
    assert.equal(notGranted.body.toString(), missing.body.toString());
    const { date: _a, ...h1 } = notGranted.headers;
    const { date: _b, ...h2 } = missing.headers;
    assert.deepEqual(h1, h2);
    assert.equal((await http(gw!.base, '/isos/lib.json', { headers: auth('globex') })).status, 200);
    const wrong = await http(gw!.base, '/templates/lib.json', {
      headers: {
        Authorization: basic(
          `${passwords.acme!.slice(0, -2)}${passwords.acme!.endsWith('xx') ? 'yy' : 'xx'}`,
        ),
      },
    });
    assert.equal(wrong.status, 401);
  },
);

const bucketSync = (action: 'disable' | 'enable'): void => holdSync(bucket, action);

/** Copies objects of the library from us-east-1 to us-west-2 as the bucket's owner (keys relative to lib/). */
async function copyToWest(keys: string[]): Promise<void> {
  const east = makeS3Client('publisher', 'us-east-1');
  const westClient = makeS3Client('publisher', 'us-west-2');
  try {
    for (const key of keys) {
      const got = await east.send(new GetObjectCommand({ Bucket: bucket, Key: `lib/${key}` }));
      const body = Buffer.from(await got.Body!.transformToByteArray());
      await westClient.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `lib/${key}`,
          Body: body,
          ...(got.ContentType === undefined ? {} : { ContentType: got.ContentType }),
          ...(got.Metadata === undefined ? {} : { Metadata: got.Metadata }),
        }),
      );
    }
  } finally {
    east.destroy();
    westClient.destroy();
  }
}

test(
  'while us-west-2 still receives version 2 the gateway serves version 1; version 2 once it is complete there',
  { skip: holdSkip, timeout: 600_000 },
  async () => {
    const src = join(work, 'src');
    await mkdir(join(src, 'big'), { recursive: true });
    const fh = await open(join(src, 'big', 'big.iso'), 'w');
    const hash = createHash('sha256');
    for (let i = 0; i < BIG_MIB; i++) {
      const chunk = Buffer.alloc(1 << 20, i % 251);
      chunk.writeUInt32BE(i, 0);
      hash.update(chunk);
      await fh.write(chunk);
    }
    await fh.close();
    const bigSha = hash.digest('hex');
    const bigKey = `big/${bigSha}/big.iso`;
    const west = await openTestStore('subscriber', bucket, 'lib', { zone: 'us-west-2' });
    const { readLibVersion } = await import('../../../src/replicate/consistency.js');
    const repMetric = async (name: string, replica = 'west') =>
      metric(await metrics(), name, `library="templates",replica="${replica}"`);

    bucketSync('disable');
    try {
      // 1. Replication held back: the origin has version 2, us-west-2 only version 1.
      await publish(src, 'lib');
      await waitUntil(
        async () => (await repMetric('claas_gateway_replica_complete_version', 'origin')) === 2,
        30_000,
        'the gateway to see version 2 complete at the origin',
      );
      assert.equal(await readLibVersion(west), 1);
      assert.equal(await servedVersion(), 1, 'the nearest replica is served as its complete version');
      assert.equal((await syncThrough('acme', 'sub-held')).state.libVersion, '1');

      // 2. us-west-2 gets version 2's JSON documents, lib.json last, but not the big file: the state Ceph's
      //    unordered replication leaves now and then, made here on purpose (see the top of this file).
      const eastStore = await openTestStore('publisher', bucket, 'lib');
      const westKeys = new Set<string>();
      for await (const o of west.list('')) westKeys.add(o.key);
      const missing: string[] = [];
      for await (const o of eastStore.list('')) {
        if (!westKeys.has(o.key) && o.key !== bigKey && o.key !== 'lib.json') missing.push(o.key);
      }
      await copyToWest([...missing, 'lib.json']);
      assert.equal(await readLibVersion(west), 2, "us-west-2's lib.json is ahead of its files");
      assert.equal(await west.head(bigKey), undefined);
      await waitUntil(
        async () => (await repMetric('claas_gateway_replica_lib_version')) === 2,
        30_000,
        "the gateway to see us-west-2's lib.json at version 2",
      );
      assert.equal(await repMetric('claas_gateway_replica_complete_version'), 1);
      assert.equal(await servedVersion(), 1, 'never a lib.json whose files are missing there');
      const mid = await syncThrough('acme', 'sub-mid');
      assert.equal(mid.state.libVersion, '1', 'a whole sync in that state gets version 1');
    } finally {
      bucketSync('enable');
    }

    // 3. Ceph replicates the rest: the gateway switches once the big file is complete at us-west-2.
    const released = Date.now();
    for (;;) {
      const served = await servedVersion();
      // Objects never disappear here, so what the gateway served above is still what west holds below.
      const bigAtWest = await west.head(bigKey);
      if (served === 2) {
        assert.equal(bigAtWest?.size, BIG_MIB << 20, 'version 2 served only once its files are at us-west-2');
        break;
      }
      assert.equal(served, 1);
      if (Date.now() - released > 300_000) throw new Error('version 2 did not reach us-west-2 in 5 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    const v2 = await syncThrough('acme', 'sub-v1', v1State);
    assert.equal(v2.state.libVersion, '2');
    assert.deepEqual(v2.downloaded, ['big']);
    const itemId = Object.entries(v2.state.names ?? {}).find(([, n]) => n === 'big')![0];
    const got = createHash('sha256')
      .update(await readFile(join(work, 'sub-v1', itemId, 'big.iso')))
      .digest('hex');
    assert.equal(got, bigSha);
    const big = accessLog(gw!.logs).filter((l) => l.path.endsWith('/big.iso') && l.status === 200);
    assert.equal(big.at(-1)?.replica, 'west', 'the big file came from the preferred replica');
    assert.equal(await repMetric('claas_gateway_served_version'), 2);
    const bytes = metric(
      await metrics(),
      'claas_gateway_bytes_served_total',
      'library="templates",replica="west",tenant="acme"',
    );
    assert.ok((bytes ?? 0) > BIG_MIB << 20, `bytes served per tenant, library and replica: ${bytes}`);
  },
);

test(
  'tenant changes apply without a restart: a new tenant within seconds, a rotated password at SIGHUP',
  { skip },
  async () => {
    const config = ['--config', join(work, 'templates.yaml'), '--config', join(work, 'isos.yaml'), '--json'];
    // Asking before the gateway has the new tenant would count as failed logins (and end in 429):
    // wait for its log line first, as an operator would.
    const logged = (msg: string, from: number) => () => gw!.logs.slice(from).some((l) => l.msg === msg);
    let from = gw!.logs.length;
    passwords.initech = await addTenant(env, 'initech', ['isos'], configs());
    await waitUntil(logged('tenants reloaded', from), 15_000, 'the tenants file to be picked up');
    assert.equal((await http(gw!.base, '/isos/lib.json', { headers: auth('initech') })).status, 200);

    const old = passwords.acme!;
    const rot = await runCli(['tenant', 'rotate', 'acme', ...config], { env });
    assert.equal(rot.code, 0, rot.stderr);
    passwords.acme = (JSON.parse(rot.stdout) as { password: string }).password;
    from = gw!.logs.length;
    gw!.child.kill('SIGHUP');
    await waitUntil(logged('configuration reloaded', from), 15_000, 'the reload at SIGHUP');
    assert.equal((await http(gw!.base, '/templates/lib.json', { headers: auth('acme') })).status, 200);
    const stale = await http(gw!.base, '/templates/lib.json', {
      headers: { Authorization: basic(old) },
    });
    assert.equal(stale.status, 401, 'the old password stopped working');
    const text = JSON.stringify(gw!.logs);
    for (const p of [old, passwords.acme!, passwords.globex!, passwords.initech!])
      assert.ok(!text.includes(p), 'no password in the logs');
  },
);

test(
  'SIGTERM: new connections are refused, the transfer in flight finishes, the gateway exits 0',
  { skip },
  async () => {
    const lib = JSON.parse(
      (await http(gw!.base, '/templates/lib.json', { headers: auth('acme') })).body.toString(),
    ) as { itemsHref: string };
    const index = JSON.parse(
      (await http(gw!.base, `/templates/${lib.itemsHref}`, { headers: auth('acme') })).body.toString(),
    ) as {
      items: { name: string; files: { hrefs: string[] }[] }[];
    };
    const href = index.items.find((i) => i.name === 'big')!.files[0]!.hrefs[0]!;
    const length = 32 << 20;
    // A slow reader: 32 MiB read 1 MiB every 100 ms (about 3 s), SIGTERM sent after the first MiB.
    let received = 0;
    let sent = false;
    let sincePause = 0;
    let refused: Promise<string> | undefined;
    const done = new Promise<number>((resolve, reject) => {
      const req = get(
        `${gw!.base}/templates/${href}`,
        { headers: { ...auth('acme'), Range: `bytes=0-${length - 1}` }, agent: false },
        (res) => {
          res.on('data', (c: Buffer) => {
            received += c.length;
            sincePause += c.length;
            if (!sent && received > 1 << 20) {
              sent = true;
              gw!.child.kill('SIGTERM');
              refused = new Promise((r) => setTimeout(r, 500)).then(() =>
                http(gw!.base, '/templates/lib.json', { headers: auth('acme') }).then(
                  (x) => `answered ${x.status}`,
                  (e: NodeJS.ErrnoException) => e.code ?? 'error',
                ),
              );
            }
            if (sincePause >= 1 << 20) {
              sincePause = 0;
              res.pause();
              setTimeout(() => res.resume(), 100);
            }
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
    const status = await done;
    assert.equal(status, 206);
    assert.equal(received, length, 'the transfer in flight finished');
    assert.equal(await refused, 'ECONNREFUSED', 'no new connections while draining');
    const code = await gw!.stop();
    assert.equal(code, 0);
    assert.ok(gw!.logs.some((l) => l.msg === 'shutting down: finishing transfers in flight'));
    gw = undefined;
  },
);
