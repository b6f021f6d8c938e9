// claas mirror into a client's bucket whose policy does not (yet) let the publisher write, on the real Ceph
// cluster: the error says the destination bucket does not grant the writer access, names the writer (profile,
// access key id, RGW user; never the secret) and both ways out; writing with the replica's own credential
// (claas mirror --write-with replica, writeWith: replica in claas.yaml) fills it without any bucket policy.
// A read-only subscriber credential that publishes keeps its own message.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedEnv } from '../../helpers/cli.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  putReadOnlyPolicy,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { claas, claasYaml, json, readPolicy, storeOf, writeItem } from './fixture.js';
import type { Report } from './fixture.js';

const skip = cephSkip();
let work = '';
let env: Record<string, string> = {};
let origin = '';
let clientBucket = '';
let config = '';
let src = '';

interface MirrorRun {
  ok: boolean;
  results: { replica: string; version: number; streamed: { objects: number } }[];
  error?: { code: string; message: string; hint?: string; input?: string };
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-mirror-access-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  origin = uniqueBucketName('mirror-access-origin');
  clientBucket = uniqueBucketName('mirror-access-client');
  await createBucket(origin);
  await putReadOnlyPolicy(origin, 'subscriber');
  await createBucket(clientBucket, { user: 'client-a' });
  config = join(work, 'claas.yaml');
  await writeFile(
    config,
    claasYaml('templates', origin, [
      { name: 'client-a', bucket: clientBucket, mode: 'mirror', profile: 'client-a' },
    ]),
  );
  src = join(work, 'src');
  await writeItem(src, 'notes', 'notes.txt', 'version 1');
  const r = await claas(['publish', src, '--config', config, '--json'], env);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (skip) return;
  await deleteBucket(origin);
  await deleteBucket(clientBucket, { user: 'client-a' });
  if (work) await rm(work, { recursive: true, force: true });
});

async function status(file = config): Promise<Report> {
  const r = await claas(['status', '--config', file, '--json'], env);
  return json<Report>(r);
}

test(
  'a bucket that does not grant the publisher: the error names the writer and both ways out, no subscriber',
  { skip },
  async () => {
    const text = await claas(['mirror', '--config', config], env);
    assert.equal(text.code, 77, text.stdout + text.stderr);
    const out = text.stderr;
    assert.match(
      out,
      new RegExp(`Bucket ${clientBucket} \\(replica "client-a"\\) does not grant claas mirror`),
    );
    assert.match(out, /the origin's credential, profile "publisher"/);
    assert.ok(out.includes(cephEnv()!.users.publisher.accessKeyId), `the access key id is named: ${out}`);
    assert.match(out, /user "publisher"/, 'the store says who the caller is');
    assert.match(out, /claas replication apply --config /);
    assert.match(out, /writeWith: replica on replica "client-a"/);
    assert.match(out, /claas mirror --write-with replica/);
    assert.doesNotMatch(out, /subscriber/, 'nothing here is a subscriber credential');
    for (const secret of Object.values(cephEnv()!.users).map((u) => u.secretAccessKey)) {
      assert.ok(!out.includes(secret) && !text.stdout.includes(secret), 'no secret in the output');
    }
    const asJson = await claas(['mirror', '--config', config, '--json'], env);
    assert.equal(asJson.code, 77);
    const doc = json<MirrorRun>(asJson);
    assert.equal(doc.ok, false);
    assert.equal(doc.error?.code, 'FORBIDDEN');
    assert.ok(doc.error?.input?.startsWith(`s3://${clientBucket}/lib`), JSON.stringify(doc.error));
    assert.equal(await readPolicy(clientBucket, 'client-a'), undefined, 'nothing changed the bucket');
  },
);

test(
  '--write-with replica fills it with the replica’s own credential, without a bucket policy',
  { skip },
  async () => {
    const r = await claas(['mirror', '--config', config, '--write-with', 'replica', '--json'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const run = json<MirrorRun>(r);
    assert.equal(run.results[0]!.version, 1);
    // client-a may not read the origin: every object is streamed through this machine.
    assert.ok(run.results[0]!.streamed.objects > 0, JSON.stringify(run));
    assert.equal(storeOf(await status(), 'client-a').state, 'consistent');
    assert.equal(await readPolicy(clientBucket, 'client-a'), undefined);

    const both = await claas(
      ['mirror', '--config', config, '--write-with', 'replica', '--profile', 'client-a'],
      env,
    );
    assert.equal(both.code, 65, both.stderr);
    assert.match(both.stderr, /--profile or --write-with, not both/);
  },
);

test(
  'writeWith: replica in claas.yaml: mirror writes as the replica; apply plans no policy for it',
  { skip },
  async () => {
    const own = join(work, 'claas-own.yaml');
    await writeFile(
      own,
      claasYaml('templates', origin, [
        { name: 'client-a', bucket: clientBucket, mode: 'mirror', profile: 'client-a' },
      ]).replace('    mode: mirror\n', '    mode: mirror\n    writeWith: replica\n'),
    );
    await writeItem(src, 'notes', 'notes.txt', 'version 2');
    const pub = await claas(['publish', src, '--config', own, '--json'], env);
    assert.equal(pub.code, 0, pub.stderr);
    const r = await claas(['mirror', '--config', own, '--json'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(json<MirrorRun>(r).results[0]!.version, 2);
    assert.equal(storeOf(await status(own), 'client-a').state, 'consistent');
    const plan = await claas(['replication', 'apply', '--config', own, '--json'], env);
    const changes = json<{ changes: { kind: string; target: string }[] }>(plan).changes;
    assert.deepEqual(
      changes.filter((c) => c.kind === 'bucket-policy'),
      [],
      'no bucket policy for a replica written with its own credential',
    );
  },
);

test('a read-only subscriber credential that publishes keeps the subscriber message', { skip }, async () => {
  await writeItem(src, 'notes', 'notes.txt', 'version 3');
  const r = await claas(['publish', src, '--config', config, '--profile', 'subscriber'], env);
  assert.equal(r.code, 77, r.stderr);
  assert.match(r.stderr, /can read but not write/);
  assert.match(r.stderr, /a subscriber credential is read-only by design/);
});
