// Invariant 3 under kill -9: a publish killed at random moments leaves the previous library version
// intact (verify --deep passes, lib.json unchanged) and servable; the next run completes and sends only
// what is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile, readFile, cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLI, cliEnv, runCli, withTempDir, isolatedEnv, startCliJson } from '../helpers/cli.js';
import { HttpLibrarySource } from '../../src/subscriber/reader.js';
import { verifyLibrary } from '../../src/subscriber/verify.js';

async function writeItems(
  root: string,
  prefix: string,
  items: number,
  files: number,
  size: number,
): Promise<void> {
  for (let i = 0; i < items; i++) {
    const d = join(root, `${prefix}-${i}`);
    await mkdir(d, { recursive: true });
    for (let f = 0; f < files; f++) await writeFile(join(d, `part-${f}.bin`), randomBytes(size));
  }
}

function killAfter(
  args: string[],
  env: Record<string, string>,
  ms: number,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

test('kill -9 mid-publish keeps the previous version intact; the re-run completes without resending', async () => {
  await withTempDir(async (dir) => {
    const env = isolatedEnv(dir);
    const src = join(dir, 'source');
    const lib = join(dir, 'library');
    await writeItems(src, 'base', 2, 3, 256 * 1024);
    const first = await runCli(['publish', src, '--to', lib, '--json'], { env });
    assert.equal(first.code, 0, first.stderr);
    const libV1 = await readFile(join(lib, 'lib.json'), 'utf8');

    // The change to publish: a new item of many MiB and a modified file in an existing item.
    await writeItems(src, 'big', 2, 8, 4 * 1024 * 1024);
    await writeFile(join(src, 'base-0', 'part-0.bin'), randomBytes(300 * 1024));

    // How long a full publish of this change takes here, to spread the kills over it.
    const scratch = join(dir, 'scratch');
    await cp(lib, scratch, { recursive: true });
    const t0 = Date.now();
    const timed = await runCli(['publish', src, '--to', scratch, '--no-cache'], { env });
    assert.equal(timed.code, 0, timed.stderr);
    const fullMs = Math.max(50, Date.now() - t0);
    await rm(scratch, { recursive: true, force: true });

    let killedMidway = 0;
    for (let round = 0; round < 6; round++) {
      const at = Math.round(((round + 0.5) / 6) * fullMs * 1.1);
      const r = await killAfter(['publish', src, '--to', lib, '--no-cache'], env, at);
      const libNow = await readFile(join(lib, 'lib.json'), 'utf8');
      const version = JSON.parse(libNow).version as string;
      const check = await runCli(['verify', lib, '--deep', '--json'], { env });
      assert.equal(check.code, 0, `round ${round} (killed after ${at} ms): ${check.stdout}`);
      if (r.signal === 'SIGKILL' && version === '1') {
        killedMidway += 1;
        assert.equal(libNow, libV1, 'lib.json must be byte-identical while the new version is not committed');
      } else {
        assert.equal(version, '2');
        break;
      }
    }
    assert.ok(killedMidway > 0, 'at least one kill must land before the commit');

    // The previous (or new) version is servable over HTTP.
    const server = await startCliJson<{ url: string }>(['serve', lib, '--listen', '127.0.0.1:0'], env);
    try {
      const report = await verifyLibrary(new HttpLibrarySource(server.info.url), { deep: true });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
    } finally {
      await server.stop();
    }

    const last = await runCli(['publish', src, '--to', lib, '--json'], { env });
    assert.equal(last.code, 0, last.stderr);
    const r = JSON.parse(last.stdout);
    assert.equal(r.library.version, 2);
    const done = await runCli(['verify', lib, '--deep', '--json'], { env });
    assert.equal(done.code, 0, done.stdout);
    assert.equal(JSON.parse(done.stdout).library.version, '2');
  });
});
