// `claas verify` on libraries the make_vcsp scripts write in local mode (make_vcsp_2018.py with and
// without type-metadata and with md5check off, make_vcsp_2015.py): vCenter syncs them, so their etag
// quirks are warnings naming the consequence and `claas publish --adopt`, and verify exits 0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, runCli, withTempDir } from '../helpers/cli.js';
import { writeMakeVcspLibrary, writeScriptSource } from '../helpers/make-vcsp.js';
import type { MakeVcspOptions } from '../helpers/make-vcsp.js';

const flavours: [string, MakeVcspOptions][] = [
  ['make_vcsp_2018.py', {}],
  ['make_vcsp_2018.py with type-metadata', { typeMetadata: true }],
  ['make_vcsp_2018.py with md5check off', { md5: false }],
  ['make_vcsp_2015.py', { script: 'make_vcsp_2015.py' }],
];

for (const [what, opts] of flavours) {
  test(`claas verify on a library made by ${what}: warnings with the fix, exit 0`, async () => {
    await withTempDir(async (dir) => {
      const env = isolatedEnv(dir);
      const src = join(dir, 'source');
      const lib = join(dir, 'library');
      await writeScriptSource(src);
      await writeMakeVcspLibrary(src, lib, 'legacy', opts);

      for (const deep of [[], ['--deep']]) {
        const r = await runCli(['verify', lib, ...deep], { env });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.doesNotMatch(r.stdout, /ERROR/);
        assert.match(r.stdout, /^OK library "legacy"/m);
        // One warning per item about change detection, naming the consequence and the fix.
        const quirks = r.stdout.split('\n').filter((l) => /no generationNum/.test(l));
        assert.equal(quirks.length, 3, r.stdout);
        for (const line of quirks) {
          assert.match(line, /^warning items\.json: item "[^"]+" files: /);
          assert.match(line, /vCenter parses the etag as a number/);
          assert.match(line, /may not notice later changes/);
          assert.match(line, /claas publish .*--adopt/);
        }
      }

      const json = await runCli(['verify', lib, '--json'], { env });
      assert.equal(json.code, 0, json.stdout);
      const report = JSON.parse(json.stdout) as { ok: boolean; problems: { severity: string }[] };
      assert.equal(report.ok, true);
      assert.ok(report.problems.every((p) => p.severity === 'warning'));
    });
  });
}

test('claas verify still fails a make_vcsp library when something else is wrong', async () => {
  await withTempDir(async (dir) => {
    const src = join(dir, 'source');
    const lib = join(dir, 'library');
    await writeScriptSource(src);
    await writeMakeVcspLibrary(src, lib, 'legacy');
    await writeFile(join(lib, 'scripts', 'notes.txt'), 'notes, changed after the script ran');
    const r = await runCli(['verify', lib], { env: isolatedEnv(dir) });
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout,
      /ERROR +item "scripts" files\[\d\]: "notes.txt" at scripts\/notes.txt is \d+ bytes/,
    );
  });
});
