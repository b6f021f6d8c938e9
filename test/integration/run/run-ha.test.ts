// Two `claas run` processes for one library (the same claas.yaml, each with its own state folder and
// --listen port, as on two hosts): exactly one is active ('role' events, /healthz role), only the active
// one publishes (its 'published' events; the standby has none; the audit log holds exactly those
// versions); kill -9 of the active one: the standby takes the run lease over (the dead holder's pid is gone
// on this host; --lease-ttl bounds it otherwise) and publishes the next change.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cephSkip, createBucket, deleteBucket, uniqueBucketName } from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { writeItem } from '../replicate/fixture.js';
import { killAllRuns, readLibrary, roleOf, runYaml, startRun } from './run-helpers.js';
import type { RunProcess } from './run-helpers.js';

const skip = cephSkip();
/** Bounds of the waits (never asserted as durations). */
const STEP_MS = 120_000;
let work = '';
let origin = '';
let profiles: Record<string, string> = {};

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-run-ha-'));
  profiles = await awsProfilesEnv(work);
  origin = uniqueBucketName('claas-run-ha');
  await createBucket(origin);
});

after(async () => {
  if (skip) return;
  await killAllRuns();
  await deleteBucket(origin);
  if (work) await rm(work, { recursive: true, force: true });
});

/** The environment of one "host": its own caches and state, the shared AWS profiles. */
async function hostEnv(name: string): Promise<Record<string, string>> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  return { ...isolatedEnv(dir), ...profiles };
}

test('one of two `claas run` publishes; the other takes over when it is killed', { skip }, async (t) => {
  const src = join(work, 'templates');
  await writeItem(src, 'a', 'a.txt', 'item a\n');
  const config = join(work, 'claas.yaml');
  await writeFile(
    config,
    runYaml({ library: 'ha', originBucket: origin, sources: [{ folder: src, interval: '1s' }] }),
  );
  const args = ['--config', config, '--lease-ttl', '6s'];
  const runs = [startRun('one', args, await hostEnv('one')), startRun('two', args, await hostEnv('two'))];
  await Promise.all(runs.map((r) => r.waitEvent('role', () => true, STEP_MS)));
  const firstRole = (r: RunProcess): string => r.eventsOf('role')[0]!.role;
  assert.deepEqual(runs.map(firstRole).sort(), ['active', 'standby'], 'exactly one is active');
  const active = runs.find((r) => firstRole(r) === 'active')!;
  const standby = runs.find((r) => r !== active)!;
  assert.ok(active.eventsOf('role').every((e) => e.role === 'active'));
  assert.ok(standby.eventsOf('role').every((e) => e.role === 'standby'));
  // The standby names who holds the lease.
  assert.ok(standby.eventsOf('role')[0]!.holder !== undefined, JSON.stringify(standby.eventsOf('role')));

  const v1 = await active.waitEvent('published', () => true, STEP_MS);
  assert.deepEqual(v1.added, ['a']);
  const activeHealth = await active.healthz();
  const standbyHealth = await standby.healthz();
  assert.equal(roleOf(activeHealth.report), 'active');
  assert.equal(roleOf(standbyHealth.report), 'standby');
  assert.equal(activeHealth.status, 200, JSON.stringify(activeHealth.report.problems));

  const mark = active.events.length;
  await writeItem(src, 'b', 'b.txt', 'item b\n');
  const v2 = await active.waitEvent('published', (e) => e.added.includes('b'), STEP_MS, mark);
  assert.deepEqual((await readLibrary(origin))?.items, ['a', 'b']);
  assert.deepEqual(standby.eventsOf('published'), [], 'the standby published nothing');
  assert.equal(roleOf((await standby.healthz()).report), 'standby');

  // kill -9 of the active one: the standby takes over and publishes the next change.
  const takeoverMark = standby.events.length;
  await active.kill9();
  await standby.waitEvent('role', (e) => e.role === 'active', STEP_MS, takeoverMark);
  assert.deepEqual(standby.eventsOf('published'), [], 'nothing published before it was active');
  const afterTakeover = standby.events.length;
  await writeItem(src, 'c', 'c.txt', 'item c\n');
  const v3 = await standby.waitEvent('published', (e) => e.added.includes('c'), STEP_MS, afterTakeover);
  assert.equal(v3.version, v2.version + 1, 'the next version after the dead holder’s last one');
  assert.deepEqual((await readLibrary(origin))?.items, ['a', 'b', 'c']);
  assert.equal(roleOf((await standby.healthz()).report), 'active');

  // The audit log holds exactly the versions the 'published' events announced: nobody else published.
  const announced = [...active.eventsOf('published'), ...standby.eventsOf('published')]
    .map((e) => e.version)
    .sort((x, y) => x - y);
  assert.deepEqual(announced, [v1.version, v2.version, v3.version]);
  const audit = await runCli(['audit', '--config', config, '--json'], { env: await hostEnv('auditor') });
  assert.equal(audit.code, 0, audit.stderr);
  const entries = (
    JSON.parse(audit.stdout) as { entries: { action: string; library?: { version: number } }[] }
  ).entries.filter((e) => e.action === 'publish' || e.action === 'import');
  assert.deepEqual(
    entries.map((e) => e.library?.version),
    announced,
    `audit entries: ${audit.stdout}`,
  );
  for (const r of runs) {
    const seen = r.events.filter((e) => e.type === 'role' || e.type === 'published');
    t.diagnostic(`${r.name}: ${seen.map((e) => JSON.stringify(e)).join(' ')}`);
  }
  await standby.stop();
});
