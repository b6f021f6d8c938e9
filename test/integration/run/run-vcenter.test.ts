// `claas run` following a vcsim library, as a real process (--json events, /healthz), publishing to a Ceph
// origin with a mirror replica:
// - an item added through the vCenter API appears at the origin and in the mirror replica (`claas status`
//   exit 0) within a polling timeout;
// - an item deleted in vcsim stays in the library after the first poll that no longer lists it (the
//   'pending-delete' event) and is removed by the confirmation poll;
// - vcsim unreachable (its connection goes through a TCP pipe the test closes; the shared vcsim keeps
//   running): the library stays at the same lib.json and items, and /healthz reports the source's error (503).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectVcenter,
  createLocalLibrary,
  deleteLibrary,
  ensureItem,
  uploadItemFiles,
} from '../../../src/vcenter/index.js';
import type { VcenterApi } from '../../../src/vcenter/index.js';
import { cephSkip, createBucket, deleteBucket, uniqueBucketName, waitFor } from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';
import type { TcpProxy } from '../../helpers/tcp-proxy.js';
import { firstRef, requireVcsim, uniqueName, vcsimConnectOptions, vcsimSkip } from '../../helpers/vcsim.js';
import { killAllRuns, readLibrary, runYaml, startRun } from './run-helpers.js';
import type { RunProcess } from './run-helpers.js';

const skip = cephSkip() || vcsimSkip();
/** Bounds of the waits (never asserted as durations): a poll every 2 s, a publish, a mirror. */
const STEP_MS = 120_000;
let work = '';
let env: Record<string, string> = {};
let api: VcenterApi;
let libraryId = '';
let origin = '';
let replica = '';
let config = '';
let proxy: TcpProxy;
let run: RunProcess;
const itemIds = new Map<string, string>();

/** An item of type file with one small text file, through an update session. */
async function addItem(name: string): Promise<void> {
  const data = Buffer.from(`${name} ${Date.now()}\n`);
  const { item } = await ensureItem(api, { libraryId, name, type: 'file' });
  itemIds.set(name, item.id);
  const sha256 = createHash('sha256').update(data).digest('hex');
  await uploadItemFiles(api, item.id, [{ name: 'notes.txt', size: data.length, sha256, open: () => data }]);
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-run-vc-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  const v = requireVcsim();
  await writeFile(join(work, 'vc-password'), `${v.password}\n`, { mode: 0o600 });
  api = await connectVcenter(vcsimConnectOptions());
  const library = await createLocalLibrary(api, {
    name: uniqueName('claas-run-golden'),
    datastoreId: firstRef('datastores').id,
  });
  libraryId = library.id;
  for (const name of ['alpha', 'beta', 'gamma']) await addItem(name);

  origin = uniqueBucketName('claas-run-vc-origin');
  replica = uniqueBucketName('claas-run-vc-mirror');
  await createBucket(origin);
  await createBucket(replica);
  const target = new URL(v.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 443) });
  config = join(work, 'claas.yaml');
  await writeFile(
    config,
    runYaml({
      library: 'golden',
      originBucket: origin,
      replicas: [{ name: 'mirror', bucket: replica, mode: 'mirror', profile: 'publisher' }],
      vcenters: [
        {
          name: 'sim',
          server: `https://${proxy.address}`,
          user: v.user,
          passwordFile: join(work, 'vc-password'),
          thumbprint: v.info.thumbprint,
        },
      ],
      sources: [{ vcenter: 'sim', library: library.name, interval: '2s' }],
    }),
  );
  run = startRun('vcenter', ['--config', config], env);
});

after(async () => {
  if (skip) return;
  await killAllRuns();
  await proxy?.close();
  if (libraryId !== '') await deleteLibrary(api, libraryId).catch(() => undefined);
  await api?.logout().catch(() => undefined);
  await deleteBucket(origin);
  await deleteBucket(replica);
  if (work) await rm(work, { recursive: true, force: true });
});

test(
  'an item added through the vCenter API reaches the origin and the mirror replica',
  { skip },
  async () => {
    const first = await run.waitEvent('published', () => true, STEP_MS);
    assert.deepEqual([...first.added].sort(), ['alpha', 'beta', 'gamma'], JSON.stringify(first));
    assert.deepEqual((await readLibrary(origin))?.items, ['alpha', 'beta', 'gamma']);

    const mark = run.events.length;
    await addItem('delta');
    // The item is created, then its file uploaded: wait until the origin has it with that file.
    let version = 0;
    await waitFor(
      async () => {
        const lib = await readLibrary(origin);
        version = lib?.version ?? 0;
        return lib?.files.delta?.some((f) => f.name === 'notes.txt') === true;
      },
      STEP_MS,
      { intervalMs: 500, what: 'delta with notes.txt at the origin' },
    );
    const published = await run.waitEvent('published', (e) => e.version === version, STEP_MS, mark);
    assert.ok(
      published.added.includes('delta') || published.changed.includes('delta'),
      JSON.stringify(published),
    );
    assert.deepEqual((await readLibrary(origin))?.items, ['alpha', 'beta', 'delta', 'gamma']);

    await run.waitEvent('mirrored', (e) => e.replica === 'mirror' && e.version >= version, STEP_MS, mark);
    await waitFor(
      async () => (await runCli(['status', '--config', config, '--json'], { env })).code === 0,
      STEP_MS,
      { intervalMs: 1000, what: '`claas status` exit 0 (every replica consistent)' },
    );
    const mirrored = await readLibrary(replica);
    assert.ok(mirrored !== undefined && mirrored.version >= version, JSON.stringify(mirrored));
    assert.deepEqual(mirrored.items, ['alpha', 'beta', 'delta', 'gamma']);
    assert.deepEqual(mirrored.files.delta, (await readLibrary(origin))?.files.delta);
  },
);

test('an item deleted in vcsim is removed only by the poll that confirms it', { skip }, async (t) => {
  const mark = run.events.length;
  await api.deleteItem(itemIds.get('beta')!);
  const pending = await run.waitEvent('pending-delete', (e) => e.items.includes('beta'), STEP_MS, mark);
  assert.deepEqual(pending.items, ['beta']);
  // Right after the first poll without beta: still in the library.
  const during = await readLibrary(origin);
  assert.ok(
    during?.items.includes('beta'),
    `beta is kept until the confirmation poll: ${JSON.stringify(during)}`,
  );
  const pendingAt = run.events.indexOf(pending);

  const removed = await run.waitEvent('published', (e) => e.removed.includes('beta'), STEP_MS, pendingAt);
  assert.deepEqual(removed.removed, ['beta']);
  assert.ok(
    removed.version > during!.version,
    'the removal is a later version than the one read after the first poll',
  );
  const removedAt = run.events.indexOf(removed);
  assert.ok(
    run.events.slice(pendingAt + 1, removedAt).some((e) => e.type === 'poll' && e.ok),
    'a confirmation poll came between the pending-delete and the removal',
  );
  assert.ok(
    !run.events.slice(mark, pendingAt).some((e) => e.type === 'published' && e.removed.includes('beta')),
    'nothing removed beta before the pending-delete',
  );
  const lib = await readLibrary(origin);
  assert.deepEqual(lib?.items, ['alpha', 'delta', 'gamma']);
  t.diagnostic(
    run.events
      .slice(mark, removedAt + 1)
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
});

test(
  'vcsim unreachable: the library stays as it is and /healthz reports the source error',
  { skip },
  async (t) => {
    // Settle: a successful poll after the last change, and a healthy service.
    const settled = run.events.length;
    await run.waitEvent('poll', (e) => e.ok, STEP_MS, settled);
    const before = await readLibrary(origin);
    assert.ok(before !== undefined);
    const healthy = await run.healthz();
    assert.equal(healthy.status, 200, JSON.stringify(healthy.report.problems));

    const mark = run.events.length;
    await proxy.close();
    const failed = await run.waitEvent('poll', (e) => !e.ok, STEP_MS, mark);
    assert.ok(failed.problem !== undefined, JSON.stringify(failed));
    let last: Awaited<ReturnType<RunProcess['healthz']>> | undefined;
    await waitFor(
      async () => {
        last = await run.healthz();
        return last.status === 503 && last.report.libraries[0]?.sources[0]?.lastError !== undefined;
      },
      STEP_MS,
      { intervalMs: 500, what: `/healthz 503 with the source's lastError: ${JSON.stringify(last?.report)}` },
    );
    const source = last!.report.libraries[0]!.sources[0]!;
    t.diagnostic(
      `poll: ${JSON.stringify(failed)}; /healthz problems: ${JSON.stringify(last!.report.problems)}`,
    );
    assert.equal(source.kind, 'vcenter');
    assert.equal(last!.report.ok, false);
    assert.ok(last!.report.problems.length > 0);

    // Another failed poll: still nothing applied.
    const second = run.events.indexOf(failed) + 1;
    await run.waitEvent('poll', (e) => !e.ok, STEP_MS, second);
    const afterwards = await readLibrary(origin);
    assert.equal(afterwards?.libJson, before.libJson, 'same lib.json');
    assert.deepEqual(afterwards?.items, before.items);
    assert.ok(
      !run.events.slice(mark).some((e) => e.type === 'published' || e.type === 'pending-delete'),
      'no version and no pending deletion while vcsim is unreachable',
    );
    assert.equal(run.child.exitCode, null, 'the service keeps running');
  },
);
