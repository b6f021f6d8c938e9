// Running verbs in-process against a library in a local folder, with their output captured: what they
// print on stdout and stderr in each mode, and their exit codes.

import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EXIT } from '../../../src/errors.js';
import { createIo } from '../../../src/cli/io.js';
import { parseArgv, runArgv } from '../../../src/cli/verb.js';
import { verb as gc } from '../../../src/cli/commands/gc.js';
import { verb as verify } from '../../../src/cli/commands/verify.js';
import { verb as history } from '../../../src/cli/commands/history.js';
import { verb as rollback } from '../../../src/cli/commands/rollback.js';
import { capture, publishFolder, sampleLibrary, useSampleLibrary } from './helpers.js';

const sample = useSampleLibrary();

describe('gc', () => {
  test('--json: one JSON document on stdout, nothing on stderr', async () => {
    const c = capture();
    const code = await runArgv(gc, [sample.library(), '--dry-run', '--json'], c.streams);
    assert.equal(code, 0, c.stderr());
    const doc = JSON.parse(c.stdout()) as {
      ok: boolean;
      dryRun: boolean;
      deleted: string[];
      liveVersions: number[];
    };
    assert.equal(doc.ok, true);
    assert.equal(doc.dryRun, true);
    assert.deepEqual(doc.deleted, []);
    assert.deepEqual(doc.liveVersions, [1]);
    assert.equal(c.stderr(), '');
  });

  test('text, and nothing at all with --quiet; run() takes parsed options and a sink', async () => {
    const text = capture();
    assert.equal(await runArgv(gc, [sample.library()], text.streams), 0);
    assert.match(
      text.stdout(),
      /^removed 0 files \(0 B\), kept 0 recent unreferenced files, .*live versions: 1\n$/,
    );
    const quiet = capture();
    const { options } = parseArgv(gc, [sample.library(), '--gc-grace', '0']);
    assert.equal(await gc.run(options, createIo({ json: false, quiet: true }, quiet.streams)), 0);
    assert.equal(quiet.stdout() + quiet.stderr(), '');
  });

  test('a bad flag value: exit 65, the error as JSON on stdout with --json and as text on stderr', async () => {
    const c = capture();
    assert.equal(
      await runArgv(gc, [sample.library(), '--gc-grace', 'soon', '--json'], c.streams),
      EXIT.BAD_INPUT,
    );
    const doc = JSON.parse(c.stdout()) as { ok: boolean; error: { code: string; input: string } };
    assert.deepEqual([doc.ok, doc.error.code, doc.error.input], [false, 'BAD_INPUT', '--gc-grace']);
    assert.match(c.stderr(), /^error: --gc-grace takes a duration/);
  });
});

describe('verify', () => {
  test('a good library: OK with the counts', async () => {
    const c = capture();
    assert.equal(await runArgv(verify, [sample.library(), '--deep'], c.streams), EXIT.OK);
    assert.match(
      c.stdout(),
      /^OK library "cli-test" version 1: 3 items, \d+ files, .*content hashes checked/m,
    );
  });

  test('a broken library: exit 1, and the verdict on stdout even with --quiet', async () => {
    const broken = sample.library();
    const files = await readdir(broken, { recursive: true, withFileTypes: true });
    const data = files.find(
      (f) => f.isFile() && !f.name.endsWith('.json') && !f.parentPath.includes('.claas'),
    );
    assert.ok(data !== undefined, 'the library has data files');
    await rm(join(data.parentPath, data.name));
    const c = capture();
    assert.equal(await runArgv(verify, [broken, '--quiet'], c.streams), EXIT.FAILED);
    assert.match(c.stdout(), /^FAILED library "cli-test" version 1: .*: [1-9]\d* errors/);
    const json = capture();
    assert.equal(await runArgv(verify, [broken, '--json'], json.streams), EXIT.FAILED);
    assert.equal((JSON.parse(json.stdout()) as { ok: boolean }).ok, false);
  });
});

describe('history and rollback', () => {
  test('an old spelling works; its notice goes to stderr and stdout stays one JSON document', async () => {
    const again = join(sample.dir(), 'again');
    const fresh = await sampleLibrary(again);
    await writeFile(join(again, 'source', 'README.txt'), 'changed\n');
    await publishFolder(join(again, 'source'), fresh);
    const h = capture();
    assert.equal(await runArgv(history, ['README.txt', '--location', fresh, '--json'], h.streams), 0);
    assert.deepEqual(
      (JSON.parse(h.stdout()) as { versions: { itemVersion: number }[] }).versions.map((v) => v.itemVersion),
      [1, 2],
    );
    const c = capture();
    const code = await runArgv(
      rollback,
      ['README.txt', '--to', '1', '--dry-run', '--location', fresh, '--json'],
      c.streams,
    );
    assert.equal(code, 0, c.stderr());
    const doc = JSON.parse(c.stdout()) as { ok: boolean; restored: { itemVersion: number } };
    assert.equal(doc.ok, true);
    assert.equal(doc.restored.itemVersion, 1);
    assert.equal(c.stderr(), 'claas: --to is deprecated for rollback; use --item-version\n');
  });
});
