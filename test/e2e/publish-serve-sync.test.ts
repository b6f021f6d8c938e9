// End to end on the embedded default: publish a folder with the CLI, serve it with a password, and sync
// it over HTTP with the project's subscriber-side reader, as a vCenter would. Then change one file,
// re-publish, and check that exactly that item is re-versioned and re-downloaded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, readFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSampleSource } from '../../src/demo/samples.js';
import { HttpLibrarySource } from '../../src/subscriber/reader.js';
import { syncLibrary } from '../../src/subscriber/sync.js';
import { verifyLibrary } from '../../src/subscriber/verify.js';
import { runCli, startCliJson, withTempDir, isolatedEnv, treeDigest } from '../helpers/cli.js';

interface ServeInfo {
  url: string;
  port: number;
}

test('publish, serve with a password, sync like a subscriber, re-version exactly what changed', async () => {
  await withTempDir(async (dir) => {
    const env = isolatedEnv(dir);
    const src = join(dir, 'source');
    const lib = join(dir, 'library');
    await mkdir(src, { recursive: true });
    await writeSampleSource(src);
    await mkdir(join(src, 'configs'));
    await writeFile(join(src, 'configs', 'a.txt'), 'alpha\n');
    await writeFile(join(src, 'configs', 'b.txt'), 'bravo\n');

    const first = await runCli(['publish', src, '--to', `file:${lib}`, '--name', 'e2e', '--json'], { env });
    assert.equal(first.code, 0, first.stderr);
    const r1 = JSON.parse(first.stdout);
    assert.equal(r1.library.version, 1);
    assert.equal(r1.committed, true);

    const pwFile = join(dir, 'pw');
    await writeFile(pwFile, 's3cret-demo\n');
    const server = await startCliJson<ServeInfo>(
      ['serve', lib, '--listen', '127.0.0.1:0', '--password-file', pwFile],
      env,
    );
    try {
      assert.match(server.info.url, /^http:\/\/127\.0\.0\.1:\d+\/lib\.json$/);
      // Wrong password: the subscriber is refused.
      await assert.rejects(
        verifyLibrary(new HttpLibrarySource(server.info.url, { password: 'wrong' }), { deep: false }),
        (e: Error & { code?: string }) => e.code === 'AUTH',
      );
      const source = new HttpLibrarySource(server.info.url, { password: 's3cret-demo' });
      const report = await verifyLibrary(source, { deep: true });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.items, 4);

      const target = join(dir, 'subscriber');
      const s1 = await syncLibrary(source, target);
      assert.deepEqual([...s1.downloaded].sort(), ['README.txt', 'configs', 'photon-mini', 'tools']);

      // No-op publish: lib.json is untouched.
      const libBefore = await readFile(join(lib, 'lib.json'), 'utf8');
      const noop = await runCli(['publish', src, '--to', lib, '--json'], { env });
      assert.equal(noop.code, 0, noop.stderr);
      assert.equal(JSON.parse(noop.stdout).committed, false);
      assert.equal(await readFile(join(lib, 'lib.json'), 'utf8'), libBefore);
      const s2 = await syncLibrary(source, target, s1.state);
      assert.equal(s2.unchangedLibrary, true);
      assert.deepEqual(s2.downloaded, []);

      // Change one file of one item: only that item and the library get a new version.
      await appendFile(join(src, 'configs', 'b.txt'), 'changed\n');
      const second = await runCli(['publish', src, '--to', lib, '--json'], { env });
      assert.equal(second.code, 0, second.stderr);
      const r2 = JSON.parse(second.stdout);
      assert.equal(r2.library.version, 2);
      const changed = r2.changes.filter((c: { kind: string }) => c.kind !== 'unchanged');
      assert.deepEqual(
        changed.map((c: { name: string; kind: string }) => `${c.kind}:${c.name}`),
        ['changed:configs'],
      );
      assert.equal(r2.upload.files, 1);
      const s3 = await syncLibrary(source, target, s2.state);
      assert.deepEqual(s3.downloaded, ['configs']);
      const after = await verifyLibrary(source, { deep: true });
      assert.equal(after.ok, true, JSON.stringify(after.problems));

      // Removing an item drops it from the index and from the subscriber.
      const { rm } = await import('node:fs/promises');
      await rm(join(src, 'README.txt'));
      const third = await runCli(['publish', src, '--to', lib, '--json'], { env });
      assert.equal(third.code, 0, third.stderr);
      assert.equal(JSON.parse(third.stdout).library.version, 3);
      const s4 = await syncLibrary(source, target, s3.state);
      assert.deepEqual(s4.removed, ['README.txt']);
    } finally {
      await server.stop();
    }
    // The CLI's verify agrees, from the location and deep.
    const v = await runCli(['verify', lib, '--deep', '--json'], { env });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.ok(Object.keys(await treeDigest(lib)).includes('lib.json'));
  });
});
