// `claas run` as a process against the Ceph origin (the real built CLI, real stores): a folder source is
// published and /healthz answers 200; SIGHUP with a good new configuration picks up a second source, SIGHUP
// with a broken one is refused (a 'reload' event with ok: false naming file:line:column) while the old
// configuration keeps publishing; SIGTERM in the middle of a publish (the origin reached through a proxy that
// holds the upload) exits 0 and leaves the previous version served, whole.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cephSkip, endpointOf } from '../../helpers/ceph.js';
import { runCli } from '../../helpers/cli.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import type { FaultProxy } from '../../helpers/fault-proxy.js';
import { randomFile, writeItem } from '../replicate/fixture.js';
import { readLibrary, runYaml, startRun } from './run-helpers.js';
import type { RunProcess } from './run-helpers.js';
import { runWorkspace } from './run-cli-fixture.js';
import type { RunWorkspace } from './run-cli-fixture.js';

const skip = cephSkip();
/** Bounds of the waits (never asserted as durations). */
const STEP_MS = 120_000;
const BIG_FILE = 'disk.vmdk';

let ws: RunWorkspace | undefined;
let proxy: FaultProxy;
/** While true, the proxy holds every upload of BIG_FILE (never answered): a publish that cannot finish. */
let holdBigFile = false;
let run: RunProcess | undefined;

const workspace = (): RunWorkspace => {
  assert.ok(ws, 'set up by before()');
  return ws;
};
const folderA = (): string => join(workspace().work, 'templates-a');
const folderB = (): string => join(workspace().work, 'templates-b');
const configFile = (): string => join(workspace().work, 'claas.yaml');

function yaml(folders: string[]): string {
  return runYaml({
    library: 'run-cli',
    originBucket: workspace().origin,
    originEndpoint: proxy.url,
    sources: folders.map((folder) => ({ folder, interval: '1s' })),
  });
}

before(async () => {
  if (skip) return;
  ws = await runWorkspace('claas-run-cli');
  proxy = await startFaultProxy({
    target: endpointOf('us-east-1'),
    schedule: (_n, req) =>
      holdBigFile && req.method === 'PUT' && (req.url ?? '').split('?')[0]!.endsWith(`/${BIG_FILE}`)
        ? 'hang'
        : undefined,
  });
});

after(async () => {
  await ws?.dispose();
  await proxy?.close();
});

function running(): RunProcess {
  assert.ok(run, 'claas run was started by the first test');
  return run;
}

test('a folder source: the version appears at the origin and /healthz answers 200', { skip }, async () => {
  await writeItem(folderA(), 'alpha', 'alpha.txt', 'alpha v1\n');
  await writeFile(configFile(), yaml([folderA()]));
  run = startRun('run-cli', ['--config', configFile(), '--drain-timeout', '2s'], workspace().env);
  const published = await run.waitEvent('published', (e) => e.added.includes('alpha'), STEP_MS);
  assert.deepEqual(published.sources, [folderA()]);
  const lib = await readLibrary(workspace().origin);
  assert.equal(lib?.version, published.version);
  assert.deepEqual(lib?.items, ['alpha']);

  const health = await run.healthz();
  assert.equal(health.status, 200, JSON.stringify(health.report));
  assert.equal(health.report.ok, true);
  const source = health.report.libraries[0]?.sources[0];
  assert.equal(source?.source, folderA());
  assert.ok(source?.lastSuccessAt !== undefined, 'a successful poll is reported');
  assert.ok((source?.changesApplied ?? 0) >= 1);

  const metrics = await (await fetch(`${await run.url()}/metrics`)).text();
  assert.match(metrics, /^claas_run_changes_applied_total\{library="run-cli",source="[^"]+"\} [1-9]/m);
  assert.match(metrics, /^claas_run_active\{library="run-cli"\} 1$/m);
  assert.deepEqual(run.otherLines, [], '--json: stdout carries JSON events only');
});

test('SIGHUP with a good configuration: a second source is picked up', { skip }, async () => {
  const r = running();
  await writeItem(folderB(), 'beta', 'beta.txt', 'beta v1\n');
  await writeFile(configFile(), yaml([folderA(), folderB()]));
  const from = r.events.length;
  r.child.kill('SIGHUP');
  const reload = await r.waitEvent('reload', () => true, STEP_MS, from);
  assert.equal(reload.ok, true, JSON.stringify(reload));
  const published = await r.waitEvent('published', (e) => e.added.includes('beta'), STEP_MS, from);
  assert.deepEqual([...published.sources].sort(), [folderA(), folderB()].sort());
  assert.deepEqual((await readLibrary(workspace().origin))?.items, ['alpha', 'beta']);
  assert.equal((await r.healthz()).report.libraries[0]?.sources.length, 2);
});

test(
  'SIGHUP with a broken configuration: refused with file:line:column, the old one keeps running',
  { skip },
  async () => {
    const r = running();
    const good = yaml([folderA(), folderB()]);
    await writeFile(configFile(), `${good}  - folder: ${folderA()}\n    colour: blue\n`);
    const from = r.events.length;
    r.child.kill('SIGHUP');
    const reload = await r.waitEvent('reload', () => true, STEP_MS, from);
    assert.equal(reload.ok, false);
    assert.match(reload.problem?.message ?? '', /claas\.yaml:\d+:\d+/);
    assert.match(r.stderr(), /"event":"reload"/, 'the refusal is logged');
    assert.equal(r.child.exitCode, null, 'still running');

    // The previous configuration (two sources) still publishes.
    await writeItem(folderB(), 'gamma', 'gamma.txt', 'gamma v1\n');
    await r.waitEvent('published', (e) => e.added.includes('gamma'), STEP_MS, from);
    assert.deepEqual((await readLibrary(workspace().origin))?.items, ['alpha', 'beta', 'gamma']);
    assert.equal((await r.healthz()).status, 200);
    await writeFile(configFile(), good);
  },
);

test('SIGTERM in the middle of a publish: exit 0, the previous version stays served', { skip }, async () => {
  const r = running();
  const previous = await readLibrary(workspace().origin);
  assert.ok(previous);
  holdBigFile = true;
  try {
    // Written beside the folder and moved in whole, so no poll sees half a file.
    const staging = join(workspace().work, 'delta');
    await mkdir(staging);
    await randomFile(join(staging, BIG_FILE), 8 << 20);
    await rename(staging, join(folderA(), 'delta'));
    const from = r.events.length;
    await r.waitEvent('poll', (e) => e.ok && e.changed === true && e.source === folderA(), STEP_MS, from);
    // The upload of BIG_FILE is held by the proxy: the publish cannot finish before the signal.
    await waitForHeldUpload();
    r.child.kill('SIGTERM');
    const exit = await r.exited();
    assert.deepEqual(exit, { code: 0, signal: null }, r.stderr().slice(-4000));
    assert.equal(r.eventsOf('published').filter((e) => e.added.includes('delta')).length, 0);
    assert.ok(r.eventsOf('stop').some((e) => e.reason === 'SIGTERM'));
  } finally {
    holdBigFile = false;
  }
  const now = await readLibrary(workspace().origin);
  assert.equal(now?.libJson, previous.libJson, 'lib.json unchanged: the previous version is served');
  const verify = await runCli(
    [
      'verify',
      `s3://${workspace().origin}/lib`,
      '--deep',
      '--json',
      '--profile',
      'publisher',
      '--endpoint',
      endpointOf('us-east-1'),
      '--region',
      'us-east-1',
    ],
    { env: workspace().env },
  );
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});

/** Waits until the proxy holds an upload of BIG_FILE. */
async function waitForHeldUpload(): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  while (proxy.counts.hang === 0) {
    if (Date.now() > deadline) assert.fail('the publish never started uploading the large file');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
