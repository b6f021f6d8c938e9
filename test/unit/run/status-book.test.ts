// The status book of `claas run`: polls, steps, replicas and the archive slot land in ServiceStatus; a
// version counts as a change only for the sources whose items it touched; vmtx and replica changes are
// reported once; status() is a copy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusBook, problemOf } from '../../../src/run/status-book.js';
import type { PollOutcome } from '../../../src/run/types.js';
import { ClaasError } from '../../../src/errors.js';

const T = new Date('2026-01-01T00:00:00Z');

function listing(names: string[], vmtx: string[] = [], requests = 2): PollOutcome {
  return {
    ok: true,
    listing: {
      source: 'x',
      kind: 'folder',
      items: names.map((name) => ({ name, fingerprint: name })),
      vmtx,
      requests,
      token: names.join(','),
    },
  };
}

function book(): StatusBook {
  const b = new StatusBook(T);
  b.addLibrary({
    library: 'lib',
    configFile: '/etc/claas/lib.yaml',
    sources: [
      { name: '/srv/a', kind: 'folder' },
      { name: 'vc library B', kind: 'vcenter' },
    ],
    replicas: [{ name: 'west', mode: 'native' }],
    archiveSchedule: '0 3 1 * *',
  });
  return b;
}

test('polls: counts, last success and error, vmtx reported when it changes', () => {
  const b = book();
  assert.equal(b.recordPoll('lib', 'vc library B', listing(['x'], ['tmpl']), T), true);
  assert.equal(b.recordPoll('lib', 'vc library B', listing(['x'], ['tmpl']), T), false, 'same vmtx: no news');
  const failed: PollOutcome = {
    ok: false,
    problem: { code: 'UNREACHABLE', message: 'down', at: T.toISOString() },
  };
  b.recordPoll('lib', 'vc library B', failed, new Date(T.getTime() + 1000));
  const s = b.status().libraries[0]!.sources[1]!;
  assert.equal(s.polls, 3);
  assert.equal(s.pollErrors, 1);
  assert.equal(s.lastSuccessAt, T.toISOString());
  assert.equal(s.lastPollAt, new Date(T.getTime() + 1000).toISOString());
  assert.equal(s.lastError?.message, 'down');
  assert.deepEqual(s.vmtx, ['tmpl'], 'kept from the last good listing');
  assert.equal(s.requestsLastPoll, 2);
  b.recordPoll('lib', 'vc library B', listing(['x']), T);
  assert.equal(b.status().libraries[0]!.sources[1]!.lastError, undefined);
});

test('a step: a change counts for the sources it touched; pending items and bytes', () => {
  const b = book();
  b.recordSync(
    'lib',
    {
      version: { number: 4, previous: 3, added: ['a2'], changed: [], removed: [] },
      bytes: 100,
      verdicts: {
        '/srv/a': { keep: ['a1', 'a2'], pending: [], remove: [] },
        'vc library B': { keep: ['b1'], pending: ['b2'], remove: [] },
      },
    },
    T,
  );
  const lib = b.status().libraries[0]!;
  assert.equal(lib.originVersion, 4);
  assert.equal(lib.bytesMoved, 100);
  assert.equal(lib.lastSyncAt, T.toISOString());
  assert.deepEqual(
    lib.sources.map((s) => [s.source, s.changesApplied, s.itemsPending, s.lastChangeAt]),
    [
      ['/srv/a', 1, 0, T.toISOString()],
      ['vc library B', 0, 1, undefined],
    ],
  );
});

test('replicas, role, errors and the archive slot; status() is a copy', () => {
  const b = book();
  assert.equal(b.recordReplica('lib', 'west', { state: 'lagging', version: 3, lagSeconds: 12 }), true);
  assert.equal(b.recordReplica('lib', 'west', { state: 'lagging', version: 3, lagSeconds: 20 }), false);
  assert.equal(b.recordReplica('lib', 'west', { state: 'consistent', version: 4 }), true);
  b.setRole('lib', 'standby', 'ops@b (pid 7)');
  b.recordError('lib', problemOf(new ClaasError('LOCKED', 'held', { hint: 'wait' }), T));
  b.recordArchive('lib', { lastSlot: '2026-01-01T03:00:00.000Z', next: '2026-02-01T03:00:00.000Z' });
  const s = b.status();
  const lib = s.libraries[0]!;
  assert.deepEqual(lib.replicas, [{ name: 'west', mode: 'native', state: 'consistent', version: 4 }]);
  assert.equal(lib.role, 'standby');
  assert.equal(lib.standbyFor, 'ops@b (pid 7)');
  assert.deepEqual(lib.lastError, { code: 'LOCKED', message: 'held', hint: 'wait', at: T.toISOString() });
  assert.deepEqual(lib.archive, {
    schedule: '0 3 1 * *',
    lastSlot: '2026-01-01T03:00:00.000Z',
    next: '2026-02-01T03:00:00.000Z',
  });
  lib.replicas.length = 0;
  assert.equal(b.status().libraries[0]!.replicas.length, 1, 'the copy does not reach the book');
  b.setRole('lib', 'active');
  assert.equal(b.status().libraries[0]!.standbyFor, undefined);
  b.removeLibrary('lib');
  assert.deepEqual(b.status().libraries, []);
  assert.equal(s.startedAt, T.toISOString());
});
