// The `claas run` service in-process against the real Ceph cluster: a folder source and a mirror replica
// (origin and replica buckets on us-east-1, publisher credentials through the standard chain):
// - an item added to the folder becomes a new version at the origin and reaches the mirror replica, which
//   `claas status` then finds consistent (exit 0); the mirror run is in the origin's audit log;
// - the archive schedule with a fake clock (only the schedule's clock is fake: stores, sources and the
//   lease are real) archives once per slot, also across a restart: a second service over the same library
//   does not archive the slot the first one did, and archives the next slot.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { cephSkip, createBucket, deleteBucket, uniqueBucketName, waitFor } from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { writeItem } from '../replicate/fixture.js';
import { runYaml } from './run-helpers.js';
import { loadConfig } from '../../../src/config/load.js';
import type { ClaasConfig } from '../../../src/config/schema.js';
import { checkStatus } from '../../../src/replicate/status.js';
import { openOriginStore } from '../../../src/replicate/open-stores.js';
import { readAudit } from '../../../src/publish/audit.js';
import { listArchives } from '../../../src/archive/snapshot-archive.js';
import { openStore } from '../../../src/store/open.js';
import { otherLocation } from '../../../src/archive/target.js';
import { storeLocation } from '../../../src/config/schema.js';
import { startRunService } from '../../../src/run/service.js';
import type { RunService } from '../../../src/run/service.js';
import type { RunEvent } from '../../../src/run/types.js';

const skip = cephSkip();
const TIMEOUT_MS = 180_000;
let work = '';
let savedEnv: NodeJS.ProcessEnv = {};
const buckets: string[] = [];

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-run-service-'));
  savedEnv = { ...process.env };
  // The stores use the standard credential chain (profiles), as `claas run` does.
  Object.assign(process.env, isolatedEnv(work), await awsProfilesEnv(work));
});

after(async () => {
  if (skip) return;
  process.env = savedEnv;
  await Promise.all(buckets.map((b) => deleteBucket(b)));
  await rm(work, { recursive: true, force: true });
});

async function bucket(prefix: string): Promise<string> {
  const name = uniqueBucketName(prefix);
  await createBucket(name);
  buckets.push(name);
  return name;
}

/** A library following the folder `src` (1 s interval), with a mirror replica and/or an archive schedule. */
async function library(
  name: string,
  src: string,
  o: { mirrorBucket?: string; archive?: string },
): Promise<ClaasConfig> {
  const originBucket = await bucket(`run-${name}`);
  let text = runYaml({
    library: name,
    originBucket,
    replicas:
      o.mirrorBucket === undefined
        ? []
        : [{ name: 'copy', bucket: o.mirrorBucket, mode: 'mirror', profile: 'publisher' }],
    sources: [{ folder: src, interval: '1s' }],
  });
  if (o.archive !== undefined) text += `archive:\n  schedule: "0 3 * * *"\n  to: ${o.archive}\n`;
  const file = join(work, `${name}.yaml`);
  await writeFile(file, text);
  return loadConfig(file);
}

interface Running {
  service: RunService;
  events: RunEvent[];
}

async function run(config: ClaasConfig, now?: () => Date, originCheckMs?: number): Promise<Running> {
  const events: RunEvent[] = [];
  const service = await startRunService({
    configs: [config],
    allowDelete: false,
    onEvent: (e) => events.push(e),
    drainMs: 10_000,
    archiveTickMs: 200,
    ...(now === undefined ? {} : { now }),
    ...(originCheckMs === undefined ? {} : { originCheckMs }),
  });
  return { service, events };
}

function published(r: Running): Extract<RunEvent, { type: 'published' }>[] {
  return r.events.filter((e): e is Extract<RunEvent, { type: 'published' }> => e.type === 'published');
}

function problems(r: Running): string {
  return JSON.stringify(r.events.filter((e) => e.type === 'error'));
}

test('a file added to the folder reaches the origin and the mirror replica', { skip }, async () => {
  const src = join(work, 'follow-src');
  await writeItem(src, 'base', 'base.txt', 'the first item');
  const config = await library('follow', src, { mirrorBucket: await bucket('run-copy') });
  const r = await run(config);
  const replicaAt = (version: number) => () => {
    const copy = r.service.status().libraries[0]?.replicas.find((x) => x.name === 'copy');
    return copy?.state === 'consistent' && copy.version === version;
  };
  try {
    await waitFor(() => published(r).length === 1, TIMEOUT_MS, { what: `version 1 (${problems(r)})` });
    await waitFor(replicaAt(1), TIMEOUT_MS, { what: `the replica at version 1 (${problems(r)})` });

    await writeItem(src, 'added', 'added.txt', 'an item added while claas run follows the folder');
    await waitFor(() => published(r).length === 2, TIMEOUT_MS, { what: `version 2 (${problems(r)})` });
    const v2 = published(r)[1]!;
    assert.equal(v2.version, 2);
    assert.deepEqual(v2.added, ['added']);
    await waitFor(replicaAt(2), TIMEOUT_MS, { what: `the replica at version 2 (${problems(r)})` });
    assert.ok(
      r.events.some((e) => e.type === 'mirrored' && e.replica === 'copy' && e.version === 2),
      'a mirrored event for version 2',
    );

    const report = await checkStatus(config);
    assert.equal(report.exitCode, 0, JSON.stringify(report.stores));
    assert.equal(report.origin.version, 2);

    const origin = await openOriginStore(config);
    try {
      const audit = await readAudit(origin, { actions: ['mirror'] });
      assert.deepEqual(
        audit.entries.map((e) => [e.details?.replica, e.library?.version]),
        [
          ['copy', 1],
          ['copy', 2],
        ],
        'one mirror audit entry per version the replica received',
      );
    } finally {
      origin.close();
    }
    const lib = r.service.status().libraries[0]!;
    assert.equal(lib.role, 'active');
    assert.equal(lib.originVersion, 2);
    assert.equal(lib.sources[0]?.changesApplied, 2);
    assert.equal(lib.sources[0]?.lastError, undefined);
  } finally {
    await r.service.stop('test over');
  }
});

test(
  'a version published outside claas run (a one-shot claas publish) reaches the mirror replica too',
  { skip },
  async () => {
    const src = join(work, 'outside-src');
    await writeItem(src, 'base', 'base.txt', 'the first item');
    const originBucket = await bucket('run-outside');
    const file = join(work, 'outside.yaml');
    await writeFile(
      file,
      runYaml({
        library: 'outside',
        originBucket,
        replicas: [
          { name: 'copy', bucket: await bucket('run-outside-copy'), mode: 'mirror', profile: 'publisher' },
        ],
        sources: [{ folder: src, interval: '1h' }], // polled once at start, then not again during the test
      }),
    );
    const config = await loadConfig(file);
    const r = await run(config, undefined, 300);
    try {
      await waitFor(() => published(r).length === 1, TIMEOUT_MS, { what: `version 1 (${problems(r)})` });
      await writeItem(src, 'confirmed', 'confirmed.txt', 'published by hand');
      const cli = await runCli(['publish', src, '--config', file, '--json'], {
        env: process.env as Record<string, string>,
      });
      assert.equal(cli.code, 0, cli.stderr);
      await waitFor(
        () => r.events.some((e) => e.type === 'mirrored' && e.replica === 'copy' && e.version === 2),
        TIMEOUT_MS,
        { what: `the mirror of version 2 (${problems(r)})` },
      );
      assert.equal(published(r).length, 1, 'claas run itself published only version 1');
      await waitFor(() => r.service.status().libraries[0]?.originVersion === 2, TIMEOUT_MS, {
        what: 'the status shows the origin at version 2',
      });
    } finally {
      await r.service.stop('test over');
    }
  },
);

test(
  'the archive schedule runs once per slot, across a restart (fake clock, real stores)',
  { skip },
  async () => {
    const src = join(work, 'archive-src');
    await writeItem(src, 'base', 'base.txt', 'archived monthly');
    const archiveBucket = await bucket('run-archive');
    const config = await library('archived', src, { archive: `s3://${archiveBucket}/archives` });
    let clock = new Date('2026-01-01T03:00:30Z'); // in the 03:00 slot of 1 January
    const now = () => clock;
    const archived = (r: Running) => r.events.filter((e) => e.type === 'archived');

    const first = await run(config, now);
    try {
      await waitFor(() => archived(first).length === 1, TIMEOUT_MS, {
        what: `an archive (${problems(first)})`,
      });
      const e = archived(first)[0] as Extract<RunEvent, { type: 'archived' }>;
      assert.equal(e.library, 'archived');
      assert.equal(e.slot, '2026-01-01T03:00:00.000Z');
      assert.equal(e.version, 1);
      assert.match(e.to, new RegExp(archiveBucket));
    } finally {
      await first.service.stop('restart');
    }

    // A new version while no service runs, then a restart in the same slot: nothing archived for that slot.
    await writeItem(src, 'later', 'later.txt', 'added after the first archive');
    const second = await run(config, now);
    try {
      await waitFor(() => published(second).length === 1, TIMEOUT_MS, {
        what: `version 2 (${problems(second)})`,
      });
      await waitFor(() => second.service.status().libraries[0]?.archive?.next !== undefined, TIMEOUT_MS, {
        what: 'the schedule looked at the slot',
      });
      assert.equal(second.service.status().libraries[0]?.archive?.lastSlot, '2026-01-01T03:00:00.000Z');
      assert.deepEqual(archived(second), [], 'the slot the first service archived is not archived again');

      clock = new Date('2026-01-02T03:00:05Z');
      await waitFor(() => archived(second).length === 1, TIMEOUT_MS, {
        what: `the next slot (${problems(second)})`,
      });
      const e = archived(second)[0] as Extract<RunEvent, { type: 'archived' }>;
      assert.equal(e.slot, '2026-01-02T03:00:00.000Z');
      assert.equal(e.version, 2);
    } finally {
      await second.service.stop('test over');
    }

    const archive = await openStore(
      otherLocation(`s3://${archiveBucket}/archives`, storeLocation(config.origin)),
    );
    const origin = await openOriginStore(config);
    try {
      const list = await listArchives(archive);
      assert.deepEqual(list.map((a) => a.manifest?.library.version).sort(), [1, 2]);
      const audit = await readAudit(origin, { actions: ['archive'] });
      assert.equal(audit.entries.length, 2, 'one archive audit entry per slot');
    } finally {
      archive.close();
      origin.close();
    }
  },
);
