// Archives through the CLI against Ceph RGW: snapshot with server-side copies (into the library's own
// .claas-archive/ and into another bucket), list, verify, an altered file failing verify by name, restore
// into a new location and as a new library version.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import {
  claas,
  claasJson,
  headObject,
  newBucket,
  publishedLibrary,
  s3Args,
  tamper,
  useArchiveContext,
} from './helpers.js';

const { skip, ctx: context } = useArchiveContext();

interface SnapshotJson {
  id: string;
  skipped: boolean;
  files: number;
  copies: Record<string, number>;
  library: { version: number };
  location: string;
}

test('archive snapshot, list, verify, tamper, restore on RGW', { skip }, async () => {
  const c = context();
  const disk = randomBytes(6 * 1024 * 1024 + 17);
  const { bucket, loc } = await publishedLibrary(c, 'archive', 'notes v1', {
    prepare: (src) => writeFile(join(src, 'extra', 'disk.bin'), disk),
  });

  const snap = await claasJson<SnapshotJson>(c, ['archive', 'snapshot', '--location', loc, ...s3Args()]);
  assert.equal(snap.skipped, false);
  // The default archive location is the library's private area, outside the library prefix (issue 16).
  assert.equal(snap.location, `s3://${bucket}/claas-control/libraries/lib/.claas-archive`);
  assert.equal(snap.copies['server-side'], 3, 'every file copied on the server');
  assert.equal(snap.copies.stream, 0);
  const diskSha = createHash('sha256').update(disk).digest('hex');
  const archived = await headObject(
    bucket,
    `claas-control/libraries/lib/.claas-archive/${snap.id}/extra/${diskSha}/disk.bin`,
  );
  assert.deepEqual([archived.size, archived.sha256], [disk.length, diskSha]);

  const again = await claasJson<SnapshotJson>(c, ['archive', 'snapshot', '--location', loc, ...s3Args()]);
  assert.equal(again.skipped, true, 'the same version is not archived twice');

  const list = await claasJson<{
    archives: { id: string; complete: boolean; library: { version: number } }[];
  }>(c, ['archive', 'list', '--location', loc, ...s3Args()]);
  assert.deepEqual(
    list.archives.map((a) => [a.id, a.complete, a.library.version]),
    [[snap.id, true, 1]],
  );

  const ok = await claas(c, ['archive', 'verify', snap.id, '--location', loc, ...s3Args()]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^OK archive .*manifest matches the audit log/m);

  // Restore into a new location before the archive is damaged: a complete library, same version.
  const restored = `s3://${bucket}/restored`;
  const r = await claasJson<{ library: { version: number } }>(c, [
    'archive',
    'restore',
    snap.id,
    '--to',
    restored,
    '--location',
    loc,
    ...s3Args(),
  ]);
  assert.equal(r.library.version, 1);
  const v = await claas(c, ['verify', restored, '--deep', ...s3Args()]);
  assert.equal(v.code, 0, v.stdout + v.stderr);

  // An altered archived file: verify fails, naming it.
  const notesKey = `extra/${createHash('sha256').update('notes v1').digest('hex')}/notes.txt`;
  await tamper(bucket, `claas-control/libraries/lib/.claas-archive/${snap.id}/${notesKey}`);
  const bad = await claas(c, ['archive', 'verify', snap.id, '--location', loc, ...s3Args()]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.ok(bad.stdout.includes(`ERROR   ${snap.id}/${notesKey}: ${notesKey} has SHA-256`), bad.stdout);
  assert.match(bad.stdout, /^FAILED archive /m);
  const badJson = await claas(c, ['archive', 'verify', '--location', loc, '--json', ...s3Args()]);
  assert.equal(badJson.code, 1);
  const report = JSON.parse(badJson.stdout) as {
    ok: boolean;
    archives: { problems: { key: string; problem: string }[] }[];
  };
  assert.deepEqual(
    report.archives[0]?.problems.map((p) => [p.key, p.problem]),
    [[notesKey, 'sha256']],
  );
});

test('archive to another bucket, then restore it as a new library version', { skip }, async () => {
  const c = context();
  const vault = await newBucket(c, 'claas-arch-vault');
  const { loc, src } = await publishedLibrary(c, 'arch-lib', 'notes v1');
  const to = `s3://${vault}/archive`;
  // STANDARD: the only class RGW 16 knows (GLACIER and friends are checked at request level).
  const snap = await claasJson<SnapshotJson>(c, [
    'archive',
    'snapshot',
    '--to',
    to,
    '--storage-class',
    'STANDARD',
    '--location',
    loc,
    ...s3Args(),
  ]);
  assert.equal(snap.copies['server-side'], 2);
  const list = await claasJson<{ archives: { storageClass?: string }[] }>(c, [
    'archive',
    'list',
    '--archive',
    to,
    '--location',
    loc,
    ...s3Args(),
  ]);
  assert.equal(list.archives[0]?.storageClass, 'STANDARD');

  await writeFile(join(src, 'extra', 'notes.txt'), 'notes v2');
  await writeFile(join(src, 'new.txt'), 'new');
  assert.equal((await claas(c, ['publish', src, '--to', loc, ...s3Args()])).code, 0);

  const back = await claasJson<{
    restoredVersion: number;
    publish: { library: { version: number }; changes: { kind: string; name: string }[] };
  }>(c, ['archive', 'restore', snap.id, '--archive', to, '--location', loc, ...s3Args()]);
  assert.equal(back.restoredVersion, 1);
  assert.equal(back.publish.library.version, 3);
  assert.deepEqual(
    back.publish.changes.filter((x) => x.kind !== 'unchanged').map((x) => `${x.kind}:${x.name}`),
    ['changed:extra', 'removed:new.txt'],
  );
  const verify = await claas(c, ['verify', loc, '--deep', ...s3Args()]);
  assert.equal(verify.code, 0, verify.stdout);
  const vault2 = await claas(c, ['archive', 'verify', '--archive', to, '--location', loc, ...s3Args()]);
  assert.equal(vault2.code, 0, vault2.stdout + vault2.stderr);
});
