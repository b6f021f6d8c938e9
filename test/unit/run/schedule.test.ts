// The archive schedule of `claas run` with a fake clock over real folder stores: five-field cron in UTC; the
// due slot runs a real archive snapshot (with its audit entry) once; the slot is recorded in the library
// only after the snapshot succeeded, so a new schedule over the same library (a restart) does not run it
// again, a failed snapshot is tried again, and the next slot archives the version current then.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { ClaasError } from '../../../src/errors.js';
import type { ClaasConfig } from '../../../src/config/schema.js';
import { listArchives, snapshotArchive } from '../../../src/archive/snapshot-archive.js';
import { readAudit } from '../../../src/publish/audit.js';
import { RUN_ARCHIVE_KEY } from '../../../src/publish/layout.js';
import { ArchiveSchedule, parseSchedule, readArchiveRecord } from '../../../src/run/schedule.js';
import { StatusBook } from '../../../src/run/status-book.js';
import type { RunEvent } from '../../../src/run/types.js';
import { withTempDir } from '../../helpers/cli.js';
import { ACTOR, item, publishAt } from '../archive/fixtures.js';

test('parseSchedule: the newest slot at or before now and the next one, in UTC', () => {
  const s = parseSchedule('0 3 1 * *');
  assert.equal(s.slotAt(new Date('2026-03-01T03:00:00Z')).toISOString(), '2026-03-01T03:00:00.000Z');
  assert.equal(s.slotAt(new Date('2026-03-01T02:59:59Z')).toISOString(), '2026-02-01T03:00:00.000Z');
  assert.equal(s.nextAfter(new Date('2026-03-01T03:00:00Z')).toISOString(), '2026-04-01T03:00:00.000Z');
});

test('parseSchedule refuses what is not a five-field cron expression, naming it', () => {
  for (const bad of ['0 0 3 1 * *', '61 3 1 * *', 'monthly', '']) {
    assert.throws(
      () => parseSchedule(bad, 'a.yaml: archive.schedule'),
      (e: unknown) =>
        e instanceof ClaasError && e.code === 'BAD_INPUT' && e.message.includes('a.yaml: archive.schedule'),
      bad,
    );
  }
});

function configOf(schedule: string): ClaasConfig {
  return {
    file: '/etc/claas/claas.yaml',
    library: 'lib',
    archive: { schedule, to: 'unused: the test archives with its own store' },
  } as unknown as ClaasConfig;
}

test('one archive per slot, across a restart; failures are tried again; the record follows success', async () => {
  await withTempDir(async (dir) => {
    const origin = new FsStore(join(dir, 'lib'));
    const archive = new FsStore(join(dir, 'archive'));
    await publishAt(origin, [await item(dir, 'a', 'one')], 0);
    let clock = new Date('2026-01-01T03:00:30Z'); // in the slot of 2026-01-01 03:00
    let failNext = false;
    const events: RunEvent[] = [];
    const book = new StatusBook();
    book.addLibrary({
      library: 'lib',
      configFile: 'x',
      sources: [],
      replicas: [],
      archiveSchedule: '0 3 * * *',
    });
    const schedule = () =>
      new ArchiveSchedule({
        config: configOf('0 3 * * *'),
        origin,
        book,
        onEvent: (e) => events.push(e),
        now: () => clock,
        retryBaseMs: 0,
        archive: async (signal) => {
          if (failNext) {
            failNext = false;
            throw new ClaasError('UNREACHABLE', 'the archive store did not answer');
          }
          return snapshotArchive({ library: origin, archive, actor: ACTOR, signal, now: () => clock });
        },
      });
    const signal = new AbortController().signal;
    const archived = () => events.filter((e) => e.type === 'archived');

    const first = schedule();
    failNext = true;
    await first.tick(signal);
    assert.equal(archived().length, 0);
    assert.match(JSON.stringify(events.find((e) => e.type === 'error')), /did not answer/);
    assert.equal(await readArchiveRecord(origin), undefined, 'nothing recorded for a failed snapshot');
    assert.equal(book.status().libraries[0]?.archive?.lastError?.code, 'UNREACHABLE');

    await first.tick(signal);
    assert.deepEqual(archived(), [
      { type: 'archived', library: 'lib', slot: '2026-01-01T03:00:00.000Z', to: archive.display, version: 1 },
    ]);
    assert.equal((await readArchiveRecord(origin))?.lastSlot, '2026-01-01T03:00:00.000Z');
    assert.equal(book.status().libraries[0]?.archive?.lastError, undefined, 'the error is cleared');
    await first.tick(signal);
    assert.equal(archived().length, 1, 'the same slot once');

    // A restart in the same slot, with a new version: the slot is done, nothing is archived.
    await publishAt(origin, [await item(dir, 'a', 'one'), await item(dir, 'b', 'two')], 1000);
    const second = schedule();
    await second.tick(signal);
    assert.equal(archived().length, 1, 'the restarted schedule does not run the slot again');
    assert.equal(book.status().libraries[0]?.archive?.next, '2026-01-02T03:00:00.000Z');

    // The next slot archives the version current then.
    clock = new Date('2026-01-02T03:01:00Z');
    await second.tick(signal);
    assert.deepEqual(
      archived().map((e) => (e.type === 'archived' ? [e.slot, e.version] : [])),
      [
        ['2026-01-01T03:00:00.000Z', 1],
        ['2026-01-02T03:00:00.000Z', 2],
      ],
    );
    const archives = await listArchives(archive);
    assert.deepEqual(archives.map((a) => a.manifest?.library.version).sort(), [1, 2]);
    const audit = await readAudit(origin, { actions: ['archive'] });
    assert.equal(audit.entries.length, 2, 'one archive audit entry per snapshot');
  });
});

test('an empty library is not archived and its slot stays due', async () => {
  await withTempDir(async (dir) => {
    const origin = new FsStore(join(dir, 'lib'));
    let calls = 0;
    const s = new ArchiveSchedule({
      config: configOf('0 3 * * *'),
      origin,
      book: new StatusBook(),
      onEvent: () => {},
      now: () => new Date('2026-01-01T04:00:00Z'),
      archive: () => {
        calls += 1;
        throw new Error('not reached');
      },
    });
    await s.tick(new AbortController().signal);
    assert.equal(calls, 0);
    assert.equal(await origin.readBytes(RUN_ARCHIVE_KEY), undefined);
  });
});
