// History and rollback through the CLI against Ceph RGW: publish v1, change a file (v2), roll the item back
// to v1's content (v3). The new version's file has v1's SHA-256, nothing was uploaded, and the subscriber-
// side reader syncs library version 3 with the old bytes. Works with --location and with --config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { StoreLibrarySource } from '../../../src/subscriber/reader.js';
import { syncLibrary } from '../../../src/subscriber/sync.js';
import { cephEnv, openTestStore } from '../../helpers/ceph.js';
import {
  claas,
  claasJson,
  newBucket,
  publishedLibrary,
  s3Args,
  sourceFolder,
  useArchiveContext,
  writeConfig,
} from './helpers.js';

const { skip, ctx: context } = useArchiveContext();
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

interface HistoryJson {
  versions: {
    itemVersion: number;
    libraryVersion: number;
    publisher?: string;
    action?: string;
    retrievable: boolean;
    current: boolean;
    retained: boolean;
    files: { name: string; sha256: string; size: number; retrievable: boolean }[];
  }[];
}

test(
  'history and rollback round trip on RGW; a subscriber sees version 3 with the old bytes',
  { skip },
  async () => {
    const c = context();
    const bucket = await newBucket(c, 'claas-rollback');
    const loc = `s3://${bucket}/lib`;
    const src = await sourceFolder(c, 'src-rollback', 'notes v1');
    const v1 = await claasJson<{ library: { version: number } }>(c, [
      'publish',
      src,
      '--to',
      loc,
      ...s3Args(),
    ]);
    assert.equal(v1.library.version, 1);

    const store = await openTestStore('publisher', bucket, 'lib');
    const sub = join(c.work, 'subscriber');
    const first = await syncLibrary(new StoreLibrarySource(store), sub);
    assert.equal(first.state.libVersion, '1');

    await writeFile(join(src, 'extra', 'notes.txt'), 'notes v2');
    const v2 = await claasJson<{ library: { version: number } }>(c, [
      'publish',
      src,
      '--to',
      loc,
      ...s3Args(),
    ]);
    assert.equal(v2.library.version, 2);

    const h2 = await claasJson<HistoryJson>(c, ['history', 'extra', '--location', loc, ...s3Args()]);
    assert.deepEqual(
      h2.versions.map((v) => [v.itemVersion, v.libraryVersion, v.current, v.retrievable]),
      [
        [1, 1, false, true],
        [2, 2, true, true],
      ],
    );
    assert.equal(h2.versions[0]?.files[0]?.sha256, sha('notes v1'));
    assert.equal(h2.versions[1]?.files[0]?.sha256, sha('notes v2'));

    const rb = await claasJson<{
      toItemVersion: number;
      publish: { library: { version: number }; committed: boolean; upload: { files: number } };
      files: { name: string; sha256: string }[];
      actor: string;
    }>(c, ['rollback', 'extra', '--item-version', '1', '--location', loc, ...s3Args()]);
    assert.equal(rb.publish.committed, true);
    assert.equal(rb.publish.library.version, 3);
    assert.equal(rb.toItemVersion, 3);
    assert.equal(rb.publish.upload.files, 0, 'no bytes uploaded');
    assert.deepEqual(
      rb.files.map((f) => [f.name, f.sha256]),
      [['notes.txt', sha('notes v1')]],
    );
    // RGW has no STS GetCallerIdentity: the identity is the access key id of the profile, never the secret.
    assert.equal(rb.actor, `${cephEnv()!.users.publisher.accessKeyId} (profile publisher)`);

    const synced = await syncLibrary(new StoreLibrarySource(store), sub, first.state);
    assert.equal(synced.state.libVersion, '3');
    assert.deepEqual(synced.downloaded, ['extra']);
    const extraId = Object.entries(synced.state.names ?? {}).find(([, n]) => n === 'extra')?.[0];
    assert.ok(extraId !== undefined);
    assert.equal(synced.state.items[extraId], '3');
    assert.equal(await readFile(join(sub, extraId, 'notes.txt'), 'utf8'), 'notes v1');

    // The same library through a claas.yaml: history shows v3 as a rollback by that identity.
    const config = await writeConfig(c, 'rollback', loc);
    const h3 = await claasJson<HistoryJson>(c, ['history', 'extra', '--config', config]);
    const last = h3.versions[h3.versions.length - 1]!;
    assert.deepEqual(
      [last.itemVersion, last.libraryVersion, last.action, last.current],
      [3, 3, 'rollback', true],
    );
    assert.equal(last.publisher, rb.actor);
    assert.equal(last.files[0]?.sha256, sha('notes v1'));

    const audit = await claasJson<{ entries: { action: string; library?: { version: number } }[] }>(c, [
      'audit',
      '--config',
      config,
      '--item',
      'extra',
    ]);
    assert.deepEqual(
      audit.entries.filter((e) => e.action === 'rollback').map((e) => e.library?.version),
      [3],
    );

    const v = await claas(c, ['verify', loc, '--deep', ...s3Args()]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const human = await claas(c, ['history', 'extra', '--config', config]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /version 3 {2}library version 3 .* \[current, retrievable, rollback\]/);
    store.close();
  },
);

test('a retained version survives gc with no grace period and can be rolled back to', { skip }, async () => {
  const c = context();
  const { loc, src } = await publishedLibrary(c, 'retain', 'notes v1');
  const kept = await claasJson<{ versions: number[] }>(c, [
    'archive',
    'retain',
    '1',
    '--reason',
    'release 2026.1 audit',
    '--location',
    loc,
    ...s3Args(),
  ]);
  assert.deepEqual(kept.versions, [1]);
  await writeFile(join(src, 'extra', 'notes.txt'), 'notes v2');
  assert.equal((await claas(c, ['publish', src, '--to', loc, '--gc-grace', '0', ...s3Args()])).code, 0);
  const gc = await claasJson<{ deleted: string[]; retainedVersions: number[] }>(c, [
    'gc',
    loc,
    '--gc-grace',
    '0',
    ...s3Args(),
  ]);
  assert.deepEqual(gc.retainedVersions, [1]);
  const h = await claasJson<HistoryJson>(c, ['history', 'extra', '--location', loc, ...s3Args()]);
  assert.deepEqual(
    h.versions.map((v) => [v.itemVersion, v.retrievable, v.retained]),
    [
      [1, true, true],
      [2, true, false],
    ],
  );

  // Released: the next gc removes v1's bytes, history says so, and a rollback is refused with the way out.
  assert.equal((await claas(c, ['archive', 'release', '1', '--location', loc, ...s3Args()])).code, 0);
  const gc2 = await claasJson<{ deleted: string[] }>(c, ['gc', loc, '--gc-grace', '0', ...s3Args()]);
  assert.ok(
    gc2.deleted.some((k) => k.endsWith('/notes.txt')),
    gc2.deleted.join(', '),
  );
  const h2 = await claasJson<HistoryJson>(c, ['history', 'extra', '--location', loc, ...s3Args()]);
  assert.equal(h2.versions[0]?.retrievable, false);
  const refused = await claas(c, [
    'rollback',
    'extra',
    '--item-version',
    '1',
    '--location',
    loc,
    ...s3Args(),
  ]);
  assert.equal(refused.code, 66, refused.stderr);
  assert.match(refused.stderr, /no longer in/);
  assert.match(refused.stderr, /claas archive retain/);
  const audit = await claasJson<{ entries: { action: string }[] }>(c, [
    'audit',
    '--location',
    loc,
    ...s3Args(),
  ]);
  assert.ok(audit.entries.some((e) => e.action === 'gc'));
  assert.ok(audit.entries.filter((e) => e.action === 'retain').length >= 2);
});
