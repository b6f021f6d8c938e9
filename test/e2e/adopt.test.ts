// Adopting a make_vcsp_2018.py library in place: the library id, item ids and versions are kept, so a
// subscriber that synced it before downloads nothing; later changes version only what changed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, withTempDir, isolatedEnv, startCliJson } from '../helpers/cli.js';
import { writeMakeVcspLibrary } from '../helpers/make-vcsp.js';
import { HttpLibrarySource } from '../../src/subscriber/reader.js';
import { syncLibrary } from '../../src/subscriber/sync.js';

test('adopt a make_vcsp_2018.py library in place without making subscribers download again', async () => {
  await withTempDir(async (dir) => {
    const env = isolatedEnv(dir);
    const src = join(dir, 'source');
    for (const [item, file, body] of [
      ['alpine', 'alpine.iso', 'iso bytes'],
      ['scripts', 'setup.sh', '#!/bin/sh\necho hi\n'],
      ['scripts', 'notes.txt', 'notes'],
    ] as const) {
      await mkdir(join(src, item), { recursive: true });
      await writeFile(join(src, item, file), body);
    }
    const lib = join(dir, 'library');
    const made = await writeMakeVcspLibrary(src, lib, 'legacy');

    // A subscriber synced the legacy library.
    // The old --port spelling of serve (now --listen) still works.
    const served = await startCliJson<{ url: string }>(['serve', lib, '--port', '0'], env);
    let state;
    try {
      const s = await syncLibrary(new HttpLibrarySource(served.info.url), join(dir, 'sub'));
      assert.deepEqual([...s.downloaded].sort(), ['alpine', 'scripts']);
      state = s.state;
    } finally {
      await served.stop();
    }

    // Without --adopt claas refuses to touch it.
    const refused = await runCli(['publish', src, '--to', lib], env ? { env } : {});
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--adopt/);

    const adopted = await runCli(['publish', src, '--to', lib, '--adopt', '--json'], { env });
    assert.equal(adopted.code, 0, adopted.stderr);
    const r = JSON.parse(adopted.stdout);
    assert.equal(r.adopted, true);
    assert.equal(r.library.id, made.libId);
    assert.equal(r.library.version, 1, 'nothing changed, so the library version stays');
    assert.equal(r.upload.files, 0, 'files already in the library are not uploaded again');
    const libJson = JSON.parse(await readFile(join(lib, 'lib.json'), 'utf8'));
    assert.equal(libJson.id, made.libId);

    // The repaired library passes verify (generationNum added) and the old subscriber has nothing to fetch.
    const v = await runCli(['verify', lib, '--deep', '--json'], { env });
    assert.equal(v.code, 0, v.stdout);
    const problems = (JSON.parse(v.stdout) as { problems: { message: string }[] }).problems;
    assert.deepEqual(
      problems.filter((p) => /--adopt/.test(p.message)),
      [],
      'the etag warnings whose fix is --adopt are gone',
    );
    const server = await startCliJson<{ url: string }>(['serve', lib, '--listen', '127.0.0.1:0'], env);
    try {
      const source = new HttpLibrarySource(server.info.url);
      const again = await syncLibrary(source, join(dir, 'sub'), state);
      assert.deepEqual(again.downloaded, []);
      const idx = JSON.parse(await readFile(join(lib, libJson.itemsHref), 'utf8'));
      for (const item of idx.items) assert.equal(item.id, made.itemIds[item.name]);

      // A real change afterwards re-versions exactly that item.
      await writeFile(join(src, 'scripts', 'notes.txt'), 'new notes');
      const next = await runCli(['publish', src, '--to', lib, '--json'], { env });
      assert.equal(next.code, 0, next.stderr);
      assert.equal(JSON.parse(next.stdout).library.version, 2);
      const after = await syncLibrary(source, join(dir, 'sub'), again.state);
      assert.deepEqual(after.downloaded, ['scripts']);
    } finally {
      await server.stop();
    }
  });
});
