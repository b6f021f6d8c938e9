// The audit log: one immutable object per entry, read back oldest first whatever order they were written
// in, filtered by time, item and action; concurrent appends all survive; damaged entries are reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import {
  AUDIT_PREFIX,
  appendAudit,
  auditKey,
  compactTime,
  compareAudit,
  entriesByVersion,
  readAudit,
} from '../../../src/publish/audit.js';
import { parseSince } from '../../../src/cli/commands/audit.js';
import { withTempDir } from '../../helpers/cli.js';
import { ACTOR } from '../archive/fixtures.js';

test('keys sort like the times they name and fall into month folders', () => {
  const a = auditKey(new Date('2026-01-31T23:59:59.999Z'), '0000000000000000');
  const b = auditKey(new Date('2026-02-01T00:00:00.000Z'), '0000000000000000');
  assert.equal(a, `${AUDIT_PREFIX}2026-01/20260131T235959.999Z-0000000000000000.json`);
  assert.equal(b, `${AUDIT_PREFIX}2026-02/20260201T000000.000Z-0000000000000000.json`);
  assert.ok(a < b);
  assert.equal(compactTime(new Date('2026-03-04T05:06:07.008Z')), '20260304T050607.008Z');
  assert.notEqual(auditKey(new Date(0)), auditKey(new Date(0)), 'random suffixes keep same-time keys apart');
});

test('entries come back oldest first, ties broken by key, whatever order they were appended in', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const times = [
      '2026-03-01T10:00:00Z',
      '2026-01-15T08:00:00Z',
      '2026-02-10T12:00:00Z',
      '2026-01-15T08:00:00Z',
    ];
    for (const [i, t] of times.entries()) {
      await appendAudit(store, { at: t, action: 'publish', actor: ACTOR, summary: `n${i}` });
    }
    const { entries, unreadable } = await readAudit(store);
    assert.deepEqual(unreadable, []);
    assert.deepEqual(
      entries.map((e) => e.at),
      [
        '2026-01-15T08:00:00.000Z',
        '2026-01-15T08:00:00.000Z',
        '2026-02-10T12:00:00.000Z',
        '2026-03-01T10:00:00.000Z',
      ],
    );
    const [x, y] = entries;
    assert.ok(x !== undefined && y !== undefined && x.key < y.key, 'equal times are ordered by key');
    assert.ok(compareAudit(x, y) < 0);
  });
});

test('filters: since, item, action, library version', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const lib = (version: number) => ({ id: 'urn:uuid:l', name: 'l', version });
    await appendAudit(store, {
      at: '2025-06-01T00:00:00Z',
      action: 'publish',
      actor: ACTOR,
      library: lib(1),
      items: [{ name: 'a', change: 'added', toVersion: 1 }],
    });
    await appendAudit(store, {
      at: '2026-01-02T00:00:00Z',
      action: 'rollback',
      actor: ACTOR,
      library: lib(2),
      items: [{ name: 'b', change: 'changed', fromVersion: 2, toVersion: 3 }],
    });
    await appendAudit(store, {
      at: '2026-01-03T00:00:00Z',
      action: 'archive',
      actor: ACTOR,
      details: { item: 'a' },
    });
    const now = new Date('2026-01-10T00:00:00Z');
    const recent = await readAudit(store, { since: new Date('2026-01-01T00:00:00Z') }, now);
    assert.deepEqual(
      recent.entries.map((e) => e.action),
      ['rollback', 'archive'],
    );
    assert.deepEqual(
      (await readAudit(store, { item: 'a' })).entries.map((e) => e.action),
      ['publish', 'archive'],
    );
    assert.deepEqual(
      (await readAudit(store, { actions: ['rollback'] })).entries.map((e) => e.library?.version),
      [2],
    );
    assert.equal((await readAudit(store, { libraryVersion: 1 })).entries.length, 1);
    const byVersion = entriesByVersion((await readAudit(store)).entries);
    assert.deepEqual([...byVersion.keys()].sort(), [1, 2]);
  });
});

test('concurrent appends: none is lost', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const at = '2026-05-05T05:05:05.005Z'; // all in the same millisecond
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        appendAudit(store, { at, action: 'publish', actor: ACTOR, summary: String(i) }),
      ),
    );
    const { entries } = await readAudit(store);
    assert.equal(entries.length, 60);
    assert.deepEqual(
      entries.map((e) => Number(e.summary)).sort((a, b) => a - b),
      Array.from({ length: 60 }, (_, i) => i),
    );
    assert.equal(new Set(entries.map((e) => e.key)).size, 60);
  });
});

test('damaged or foreign objects under the audit prefix are reported, not skipped silently', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    await appendAudit(store, { action: 'publish', actor: ACTOR });
    await store.put(`${AUDIT_PREFIX}2026-01/broken.json`, { kind: 'bytes', data: Buffer.from('{not json') });
    await store.put(`${AUDIT_PREFIX}2026-01/other.json`, { kind: 'bytes', data: Buffer.from('{"a":1}') });
    const { entries, unreadable } = await readAudit(store);
    assert.equal(entries.length, 1);
    assert.deepEqual(
      unreadable.map((u) => u.key),
      [`${AUDIT_PREFIX}2026-01/broken.json`, `${AUDIT_PREFIX}2026-01/other.json`],
    );
  });
});

test('the actor is resolved from the store when not given (local folder: user@host)', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(join(dir, 'lib'));
    const e = await appendAudit(store, { action: 'gc' });
    assert.match(e.actor.name, /.+@.+/);
    assert.equal(e.actor.source === 'os' || e.actor.source === 'configured', true);
  });
});

test('--since takes dates and durations', () => {
  const now = new Date('2026-01-10T00:00:00Z');
  assert.equal(parseSince('7d', now).toISOString(), '2026-01-03T00:00:00.000Z');
  assert.equal(parseSince('24h', now).toISOString(), '2026-01-09T00:00:00.000Z');
  assert.equal(parseSince('2026-01-01', now).toISOString(), '2026-01-01T00:00:00.000Z');
  assert.throws(() => parseSince('last tuesday', now), /--since takes a date/);
});
