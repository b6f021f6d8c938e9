// Provider-private data never lands in a client's replica (issue 16), on the real Ceph cluster through the
// CLI: the origin (publisher) gets two publishes, a tenant change, an archive and audit entries; `claas
// mirror` fills `client-a`, a mirror replica in a bucket another RGW user owns. Listed with the client's own
// credential, the client's bucket holds no provider-private object (nothing outside the library prefix, no
// audit log, lock, retain marker, staging, import record or archive) and no object whose bytes name the
// publisher (its user@host, access key id or profile); `claas status` still proves the replica consistent
// from what it holds, and the gateway's reader finds the version complete there.
//
// The tenant change is written straight under the origin bucket's control prefix with the origin's
// credential, standing in for `claas tenant add --config` with `gateway.tenants: store`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { isolatedEnv } from '../helpers/cli.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  makeS3Client,
  openTestStore,
  uniqueBucketName,
} from '../helpers/ceph.js';
import type { CephUser } from '../helpers/ceph.js';
import { awsProfilesEnv } from '../helpers/aws-profiles.js';
import { claas, claasYaml, json, storeOf, writeItem } from './replicate/fixture.js';
import type { Report } from './replicate/fixture.js';
import { isPrivateKey, snapshotKey } from '../../src/publish/layout.js';
import { osIdentity } from '../../src/publish/identity.js';
import { newestCompleteVersion } from '../../src/replicate/consistency.js';
import { DEFAULT_CONTROL_PREFIX } from '../../src/config/control-layout.js';
import { parseConfig } from '../../src/config/load.js';
import { planNativeReplication } from '../../src/replicate/plan-native.js';

const skip = cephSkip();
/** The library's private area in the origin bucket (store/s3-key-map.ts): where its private keys live. */
const AREA = `${DEFAULT_CONTROL_PREFIX}/libraries/lib/`;
let work = '';
let env: Record<string, string> = {};
let origin = '';
let clientBucket = '';
let config = '';
let src = '';

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-private-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  origin = uniqueBucketName('private-origin');
  clientBucket = uniqueBucketName('private-client-a');
  await createBucket(origin);
  await createBucket(clientBucket, { user: 'client-a' });
  config = join(work, 'claas.yaml');
  await writeFile(
    config,
    claasYaml('templates', origin, [
      {
        name: 'client-a',
        bucket: clientBucket,
        mode: 'mirror',
        profile: 'client-a',
        account: '123456789012',
      },
    ]),
  );
  src = join(work, 'src');
  await writeItem(src, 'a-notes', 'notes.txt', 'version 1');
  await writeItem(src, 'm-iso', 'tools.iso', randomBytes(2 << 20));
});

after(async () => {
  if (skip) return;
  await deleteBucket(origin);
  await deleteBucket(clientBucket, { user: 'client-a' });
  if (work) await rm(work, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<string> {
  const r = await claas([...args, '--config', config, '--json'], env);
  assert.equal(r.code, 0, `claas ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Every object of a bucket (all prefixes) with its bytes, read as `user`. */
async function everything(bucket: string, user: CephUser): Promise<Map<string, Buffer>> {
  const s3 = makeS3Client(user);
  const out = new Map<string, Buffer>();
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.set(o.Key!, await bytesOf(s3, bucket, o.Key!));
      token = page.NextContinuationToken;
    } while (token !== undefined);
  } finally {
    s3.destroy();
  }
  return out;
}

async function bytesOf(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

/** Rewrites the origin's snapshot of a version as claas wrote them before issue 16: naming its publisher. */
async function oldStyleSnapshot(version: number, publisher: string): Promise<void> {
  const s3 = makeS3Client('publisher');
  try {
    const key = `lib/${snapshotKey(version)}`;
    const doc = JSON.parse((await bytesOf(s3, origin, key)).toString('utf8')) as Record<string, unknown>;
    assert.equal(doc.publisher, undefined, 'a new snapshot names no publisher');
    const body = `${JSON.stringify({ ...doc, publisher }, null, 2)}\n`;
    await s3.send(new PutObjectCommand({ Bucket: origin, Key: key, Body: body }));
  } finally {
    s3.destroy();
  }
}

test(
  "a client's mirror replica after publishes, a tenant change, an archive and audit entries holds nothing private",
  { skip },
  async () => {
    const publisherKey = cephEnv()!.users.publisher.accessKeyId;
    await ok(['publish', src]);
    await writeItem(src, 'a-notes', 'notes.txt', 'version 2');
    await ok(['publish', src]);
    // Version 2's snapshot as an older claas wrote it: the mirror must strip the identity.
    await oldStyleSnapshot(2, `${publisherKey} (profile publisher)`);

    // A tenant change (stand-in for `claas tenant add` with gateway.tenants: store).
    const s3 = makeS3Client('publisher');
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: origin,
          Key: `${DEFAULT_CONTROL_PREFIX}/tenants.json`,
          Body: JSON.stringify({ format: 'claas.tenants/1', tenants: [{ name: 'acme', keyId: 'k1' }] }),
        }),
      );
    } finally {
      s3.destroy();
    }
    await ok(['archive', 'snapshot']);
    await ok(['archive', 'retain', '2']);
    await ok(['replication', 'apply', '--yes']); // the client's bucket policy lets the publisher write
    const mirrored = JSON.parse(await ok(['mirror'])) as { results: { version: number }[] };
    assert.equal(mirrored.results[0]?.version, 2);

    // The origin holds every private family the test made (so the checks below can fail).
    const originKeys = [...(await everything(origin, 'publisher')).keys()];
    for (const family of [
      `${AREA}.claas/audit/`,
      `${AREA}.claas-archive/`,
      `${AREA}.claas/retain/`,
      'claas-control/tenants.json',
    ]) {
      assert.ok(
        originKeys.some((k) => k.startsWith(family)),
        `the origin holds ${family}: ${originKeys.join(', ')}`,
      );
    }
    const originAudit = await everything(origin, 'publisher');
    assert.ok(
      [...originAudit].some(([k, b]) => k.startsWith(`${AREA}.claas/audit/`) && b.includes(publisherKey)),
      "the origin's audit log names the publisher",
    );

    // The client's bucket, listed with the client's own credential.
    const client = await everything(clientBucket, 'client-a');
    assert.ok(
      client.has('lib/lib.json') && client.has(`lib/${snapshotKey(2)}`),
      [...client.keys()].join(', '),
    );
    for (const key of client.keys()) {
      assert.ok(key.startsWith('lib/'), `nothing outside the library prefix: ${key}`);
      assert.ok(!isPrivateKey(key.slice('lib/'.length)), `no provider-private object: ${key}`);
    }
    const needles = [publisherKey, 'profile publisher', osIdentity(), '"publisher"', '"actor"', '"holder"'];
    for (const [key, bytes] of client) {
      for (const needle of needles) {
        assert.ok(!bytes.includes(needle), `${key} names the publisher (${needle})`);
      }
    }

    // The replica still proves its version: claas status, and the gateway's reader (no origin at hand).
    const report = json<Report>(await claas(['status', '--config', config, '--json'], env));
    const ca = storeOf(report, 'client-a');
    assert.equal(ca.state, 'consistent', JSON.stringify(ca));
    assert.equal(ca.consistentVersion, 2);
    const replica = await openTestStore('client-a', clientBucket, 'lib');
    try {
      assert.equal((await newestCompleteVersion(replica))?.version, 2);
    } finally {
      replica.close();
    }
  },
);

/** Keys of a bucket under a prefix, listed with the publisher's credential. */
async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const s3 = makeS3Client('publisher');
  const out: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) out.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token !== undefined);
  } finally {
    s3.destroy();
  }
  return out;
}

async function put(key: string, body: string | Buffer): Promise<void> {
  const s3 = makeS3Client('publisher');
  try {
    await s3.send(new PutObjectCommand({ Bucket: origin, Key: key, Body: body }));
  } finally {
    s3.destroy();
  }
}

test(
  'the origin keeps every private object outside the library prefix, and audit, history and archives read them',
  { skip },
  async () => {
    // After the first test: two publishes, an archive snapshot in the default location, a retention marker,
    // audit entries for each, mirror's lock (released).
    const underPrefix = await keysUnder(origin, 'lib/');
    for (const key of underPrefix) {
      assert.ok(!isPrivateKey(key.slice('lib/'.length)), `no provider-private object under lib/: ${key}`);
    }
    assert.ok(underPrefix.includes('lib/lib.json') && underPrefix.includes(`lib/${snapshotKey(2)}`));
    const area = await keysUnder(origin, AREA);
    for (const family of ['.claas/audit/', '.claas/retain/', '.claas-archive/']) {
      assert.ok(
        area.some((k) => k.startsWith(`${AREA}${family}`)),
        `${family} is in the area: ${area.join(', ')}`,
      );
    }
    for (const key of area)
      assert.ok(isPrivateKey(key.slice(AREA.length)), `only private keys there: ${key}`);

    const audit = JSON.parse(await ok(['audit'])) as { entries: { action: string }[] };
    for (const action of ['publish', 'archive', 'retain']) {
      assert.ok(
        audit.entries.some((e) => e.action === action),
        `claas audit shows ${action}: ${audit.entries.map((e) => e.action).join(', ')}`,
      );
    }
    const history = JSON.parse(await ok(['history', 'a-notes'])) as {
      versions: { libraryVersion: number; publisher?: string; action?: string; retained: boolean }[];
    };
    const v2 = history.versions.find((v) => v.libraryVersion === 2);
    assert.equal(v2?.action, 'publish', JSON.stringify(history.versions));
    assert.equal(v2?.retained, true, 'the retention marker is read from the area');
    const archives = JSON.parse(await ok(['archive', 'list'])) as { archives: unknown[] };
    assert.equal(archives.archives.length, 1, 'the default archive location is in the area');
  },
);

test(
  "a cross-account native rule's filter matches no private object of the origin bucket",
  { skip },
  async () => {
    const yaml = claasYaml('templates', origin, [
      {
        name: 'client-b',
        bucket: clientBucket,
        mode: 'native',
        profile: 'client-a',
        account: '123456789012',
      },
      { name: 'west', bucket: `${origin}-west`, mode: 'native', profile: 'publisher' },
    ]);
    const plan = planNativeReplication(parseConfig(yaml, join(work, 'native.yaml')));
    const rules = plan.replication!.configuration.Rules;
    const cross = rules.filter((r) => r.Destination.Bucket.endsWith(`:${clientBucket}`));
    assert.equal(cross.length, 1);
    const filter = cross[0]!.Filter.Prefix;
    assert.equal(filter, 'lib/');
    const all = [...(await everything(origin, 'publisher')).keys()];
    const privateObjects = all.filter(
      (k) => k.startsWith(`${DEFAULT_CONTROL_PREFIX}/`) || (k.startsWith('lib/') && isPrivateKey(k.slice(4))),
    );
    assert.ok(privateObjects.length >= 4, `the bucket holds private objects: ${privateObjects.join(', ')}`);
    for (const k of privateObjects)
      assert.ok(!k.startsWith(filter!), `${k} is outside the rule's filter ${filter}`);
    // The provider's own replica gets them with its control rule.
    const own = rules
      .filter((r) => r.Destination.Bucket.endsWith(`:${origin}-west`))
      .map((r) => r.Filter.Prefix);
    assert.deepEqual(own.sort(), ['claas-control/', 'lib/']);
  },
);

test(
  'private objects an older claas wrote under the prefix are read, and replication apply moves them',
  { skip },
  async () => {
    // An audit entry, an import record and a temp file where claas kept them before issue 16.
    const [entryKey] = (await keysUnder(origin, `${AREA}.claas/audit/`)).slice(-1);
    const s3 = makeS3Client('publisher');
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse((await bytesOf(s3, origin, entryKey!)).toString('utf8')) as Record<string, unknown>;
    } finally {
      s3.destroy();
    }
    // The archive as an older claas put it by default, under the library prefix (moved there by hand).
    const archiveKeys = await keysUnder(origin, `${AREA}.claas-archive/`);
    assert.ok(archiveKeys.length > 0);
    const mover = makeS3Client('publisher');
    try {
      for (const k of archiveKeys) {
        await mover.send(
          new CopyObjectCommand({
            Bucket: origin,
            Key: `lib/${k.slice(AREA.length)}`,
            CopySource: `${origin}/${k.split('/').map(encodeURIComponent).join('/')}`,
          }),
        );
        await mover.send(new DeleteObjectCommand({ Bucket: origin, Key: k }));
      }
    } finally {
      mover.destroy();
    }
    const oldArchives = JSON.parse(await ok(['archive', 'list'])) as {
      location: string;
      archives: { id: string }[];
    };
    assert.equal(oldArchives.location, `s3://${origin}/lib/.claas-archive`, 'read at the old default');
    assert.equal(oldArchives.archives.length, 1);
    await ok(['archive', 'verify', oldArchives.archives[0]!.id]);

    const legacy = {
      'lib/.claas/audit/2020-01/20200101T000000.000Z-0123456789abcdef.json': JSON.stringify({
        ...entry,
        at: '2020-01-01T00:00:00.000Z',
        summary: 'written by an older claas',
      }),
      'lib/.claas/imports/old-source.json': '{"format":"legacy"}',
      'lib/.claas/tmp/leftover': randomBytes(1000),
    };
    for (const [k, body] of Object.entries(legacy)) await put(k, body);

    // Readers see them where they are (listing merges the prefix, reads fall back to it).
    const before = JSON.parse(await ok(['audit'])) as { entries: { summary?: string }[] };
    assert.ok(
      before.entries.some((e) => e.summary === 'written by an older claas'),
      'the legacy entry is read',
    );

    const applied = JSON.parse(await ok(['replication', 'apply', '--yes'])) as {
      changes: { kind: string; outcome?: string }[];
    };
    const move = applied.changes.find((c) => c.kind === 'private-data');
    assert.equal(move?.outcome, 'applied', JSON.stringify(applied));

    const underPrefix = await keysUnder(origin, 'lib/');
    for (const key of underPrefix) assert.ok(!isPrivateKey(key.slice(4)), `moved out of lib/: ${key}`);
    const area = await keysUnder(origin, AREA);
    for (const k of Object.keys(legacy)) {
      const moved = `${AREA}${k.slice(4)}`;
      assert.ok(area.includes(moved), `${moved} in the area`);
      const c = makeS3Client('publisher');
      try {
        assert.deepEqual(await bytesOf(c, origin, moved), Buffer.from(legacy[k as keyof typeof legacy]));
      } finally {
        c.destroy();
      }
    }
    const movedArchives = JSON.parse(await ok(['archive', 'list'])) as {
      location: string;
      archives: { id: string }[];
    };
    assert.equal(movedArchives.location, `s3://${origin}/${AREA}.claas-archive`, 'moved to the new default');
    assert.deepEqual(movedArchives.archives, oldArchives.archives);
    const after = JSON.parse(await ok(['audit'])) as { entries: { summary?: string }[] };
    assert.ok(
      after.entries.some((e) => e.summary === 'written by an older claas'),
      'still read after the move',
    );
    // A second apply has nothing to move.
    const again = JSON.parse(await ok(['replication', 'apply', '--yes'])) as Record<string, unknown>;
    assert.ok(/"kind":"private-data"[^}]*"action":"none"/.test(JSON.stringify(again)), JSON.stringify(again));
  },
);
