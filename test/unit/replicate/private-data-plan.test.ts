// Provider-private data never lands in a client's replica (issue 16), the parts decided without a store:
// the native plan gives a same-account replica the control prefix by a second rule and a cross-account
// replica never; snapshots lose the publisher identity on their way to a replica; every private family is
// classified private; a replica's stripped snapshot still proves its version consistent, a tampered one not;
// and a mirror between local folders copies only public keys, stripped, and keeps its lock at the origin.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlRuleId, planNativeReplication, ruleId } from '../../../src/replicate/plan-native.js';
import { PRIVATE_FAMILIES, isPrivateKey, snapshotKey } from '../../../src/publish/layout.js';
import { publicSnapshot, readSnapshot } from '../../../src/publish/state.js';
import { appendAudit } from '../../../src/publish/audit.js';
import { publish } from '../../../src/publish/publish.js';
import { FsStore } from '../../../src/store/fs.js';
import { parseSnapshot } from '../../../src/vcsp/schema.js';
import { serializeJson } from '../../../src/vcsp/build.js';
import { checkSnapshotAgainst, listAll, resolveEtagDifferences } from '../../../src/replicate/consistency.js';
import { mirrorOnce } from '../../../src/replicate/mirror.js';
import { mirrorLockPrefix } from '../../../src/replicate/mirror-lock.js';
import { textItem } from '../../helpers/source-item.js';
import { withTempDir } from '../../helpers/cli.js';
import { AWS_EXAMPLE, AWS_ROOT_SAME_ACCOUNT_EXAMPLE, config } from '../config/examples.js';

const CONTROL = 'claas-control/';

test('plan: a same-account native replica gets the control prefix, a cross-account one never', () => {
  const plan = planNativeReplication(config(AWS_EXAMPLE));
  const rules = plan.replication!.configuration.Rules;
  const to = (bucket: string) => rules.filter((r) => r.Destination.Bucket === `arn:aws:s3:::${bucket}`);

  // Same account (west): the library rule and the control rule.
  const west = to('templates-us-west-2');
  assert.deepEqual(
    west.map((r) => [r.ID, r.Filter]),
    [
      [ruleId('templates', 'west'), { Prefix: 'lib/' }],
      [controlRuleId('templates', 'west'), { Prefix: CONTROL }],
    ],
  );
  const control = west[1]!;
  assert.deepEqual(control.DeleteMarkerReplication, { Status: 'Enabled' }, 'revocations replicate too');
  assert.equal(control.Destination.Account, undefined);

  // Cross account (client-a): one rule, scoped to the library prefix, nothing reaching the control prefix.
  const client = to('client-a-templates');
  assert.equal(client.length, 1);
  for (const r of client) {
    assert.equal(r.Filter.Prefix, 'lib/');
    assert.ok(!CONTROL.startsWith(r.Filter.Prefix ?? ''), 'the filter does not match the control prefix');
  }
  assert.ok(
    rules.every((r) => r.Filter.Prefix !== undefined),
    'no rule matches the whole bucket',
  );

  // The role may read the control prefix and write it only into the same-account replica.
  const statements = plan.role!.policy.Statement;
  const resources = (sid: string) => [statements.find((s) => s.Sid === sid)?.Resource].flat();
  assert.deepEqual(resources('ReadSourceLibraryVersionsControl'), [
    'arn:aws:s3:::templates-us-east-1/claas-control/*',
  ]);
  assert.deepEqual(resources('ReplicateIntoDestinationsControl'), [
    'arn:aws:s3:::templates-us-west-2/claas-control/*',
  ]);
  assert.ok(!JSON.stringify(statements).includes('client-a-templates/claas-control'));
  assert.equal(statements.filter((s) => s.Sid === 'SourceBucketConfiguration').length, 1);

  // The mirror replica gets no rule at all, and the plan says what a cross-account rule still carries.
  assert.ok(!rules.some((r) => r.Destination.Bucket.includes('templates-archive')));
  const note = plan.notes.find((n) => n.startsWith('Replica "client-a" is another account'));
  assert.ok(note !== undefined, 'a note on the cross-account replica');
  for (const f of PRIVATE_FAMILIES) assert.ok(note.includes(f.prefix), `the note names ${f.prefix}`);
  assert.ok(note.includes('claas-control/libraries/lib/'), 'the note names the private area');
  assert.ok(plan.notes.some((n) => n.includes(`${controlRuleId('templates', 'west')} also replicates`)));
});

test('plan: a custom control prefix is the one a same-account rule carries', () => {
  const plan = planNativeReplication({
    ...config(AWS_EXAMPLE),
    gateway: { controlPrefix: 'provider/control' } as never,
  });
  const rule = plan.replication!.configuration.Rules.find((r) => r.ID === controlRuleId('templates', 'west'));
  assert.deepEqual(rule?.Filter, { Prefix: 'provider/control/' });
});

test('plan: a bucket-root library adds no control rule (its rule is the whole bucket) and says so', () => {
  const plan = planNativeReplication(config(AWS_ROOT_SAME_ACCOUNT_EXAMPLE));
  const rules = plan.replication!.configuration.Rules;
  assert.ok(!rules.some((r) => r.ID.endsWith('/control')));
  assert.ok(plan.notes.some((n) => n.includes('matches the whole bucket')));
});

test('layout: every private family is private; what a version references and lib.json are not', () => {
  for (const f of PRIVATE_FAMILIES) assert.ok(isPrivateKey(`${f.prefix}x.json`), f.prefix);
  for (const key of [
    '.claas/audit/2026-01/20260101T000000.000Z-0123456789abcdef.json',
    '.claas/lock/t.json',
    '.claas/mirror-lock/client/.claas/lock/t.json',
    '.claas-archive/v3-20260101T000000Z/.claas/archive.json',
    '.claas-archive/v3-20260101T000000Z/lib.json',
  ]) {
    assert.ok(isPrivateKey(key), key);
  }
  for (const key of ['lib.json', 'items-3.json', 'a/item-1-0123abcd.json', `a/${'0'.repeat(64)}/disk.vmdk`]) {
    assert.ok(!isPrivateKey(key), key);
  }
  assert.ok(!isPrivateKey(snapshotKey(3)), 'version snapshots are public');
});

/** A published folder library whose version 1 snapshot names its publisher, as snapshots before issue 16 do. */
async function oldStyleLibrary(dir: string): Promise<FsStore> {
  const store = new FsStore(join(dir, 'origin'));
  await publish(
    { items: [await textItem(dir, 'a', 'alpha'), await textItem(dir, 'b', 'beta')], defaultName: 'lib' },
    {
      store,
      noGc: true,
      audit: { actor: { name: 'alice@build-host', source: 'os', os: 'alice@build-host' } },
    },
  );
  const path = join(dir, 'origin', snapshotKey(1));
  const snap = parseSnapshot(await readFile(path, 'utf8'), path);
  assert.equal(snap.publisher, undefined, 'a new snapshot names no publisher');
  await writeFile(path, serializeJson({ ...snap, publisher: 'AKIAOLDPUBLISHER (profile publisher)' }));
  return store;
}

test('publicSnapshot drops the identity and nothing else', async () => {
  await withTempDir(async (dir) => {
    const store = await oldStyleLibrary(dir);
    const snap = (await readSnapshot(store, 1))!;
    assert.equal(snap.publisher, 'AKIAOLDPUBLISHER (profile publisher)');
    const pub = publicSnapshot(snap);
    assert.equal('publisher' in pub, false);
    assert.deepEqual({ ...pub, publisher: snap.publisher }, snap);
  });
});

test('mirror between folders: only public keys, the snapshot stripped, the lock at the origin; status consistent', async () => {
  await withTempDir(async (dir) => {
    const origin = await oldStyleLibrary(dir);
    await appendAudit(origin, {
      action: 'retain',
      actor: { name: 'alice@build-host', source: 'os', os: 'alice@build-host' },
    });
    const replica = new FsStore(join(dir, 'replica'));
    const result = await mirrorOnce({
      replica: 'client',
      origin,
      openDestination: () => Promise.resolve(replica),
      spoolDir: join(dir, 'spool'),
    });
    assert.equal(result.version, 1);
    const keys = [...(await listAll(new FsStore(join(dir, 'replica')))).objects.keys()].sort();
    assert.deepEqual(
      keys.filter((k) => isPrivateKey(k)),
      [],
      `no private key in the replica: ${keys.join(', ')}`,
    );
    assert.ok(keys.includes(snapshotKey(1)) && keys.includes('lib.json'));
    for (const key of keys) {
      const text = await readFile(join(dir, 'replica', key), 'utf8');
      assert.doesNotMatch(text, /AKIAOLDPUBLISHER|alice@build-host|profile publisher/, key);
    }
    // The mirror's lock was taken (and released) at the origin, not in the replica.
    const originKeys = [...(await listAll(origin)).objects.keys()];
    assert.ok(!originKeys.some((k) => k.startsWith(mirrorLockPrefix('client'))), 'released');

    // The stripped snapshot proves the version against the origin's (which names the publisher).
    const replicaStore = new FsStore(join(dir, 'replica'));
    const [originIndex, replicaIndex] = await Promise.all([listAll(origin), listAll(replicaStore)]);
    const snap = (await readSnapshot(origin, 1))!;
    const check = checkSnapshotAgainst(snap, replicaIndex, originIndex);
    assert.equal(check.complete, true);
    assert.deepEqual(check.wrongSize, [], 'a stripped snapshot is not the wrong size');
    await resolveEtagDifferences(check, replicaStore, origin);
    assert.deepEqual(check.wrongHash, []);
    assert.equal(check.complete, true);

    // A second run does not write the snapshot again (the stripped copy is recognised); a local folder lists
    // no ETags, so lib.json is always rewritten there.
    const copied: string[] = [];
    await mirrorOnce({
      replica: 'client',
      origin,
      openDestination: () => Promise.resolve(new FsStore(join(dir, 'replica'))),
      spoolDir: join(dir, 'spool'),
      onEvent: (e) => {
        if (e.type === 'copied') copied.push(e.key);
      },
    });
    assert.deepEqual(copied, ['lib.json']);

    // A replica snapshot that says something else is wrong, not merely different.
    const path = join(dir, 'replica', snapshotKey(1));
    const tampered = parseSnapshot(await readFile(path, 'utf8'), path);
    await writeFile(path, serializeJson({ ...tampered, committedAt: 'x' }));
    const bad = checkSnapshotAgainst(snap, await listAll(replicaStore), originIndex);
    await resolveEtagDifferences(bad, replicaStore, origin);
    assert.deepEqual(
      bad.wrongHash.map((w) => w.key),
      [snapshotKey(1)],
    );
  });
});
