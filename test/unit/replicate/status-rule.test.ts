// Lagging or broken: the rule claas status applies to a missing object, and the exit code of a round.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyMissing, overallExitCode } from '../../../src/replicate/status.js';
import type { MissingFacts, StoreStatus } from '../../../src/replicate/status.js';

const now = new Date('2026-06-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const settleMs = 15 * 60_000;

function facts(over: Partial<MissingFacts>): MissingFacts {
  return {
    role: 'replica',
    mode: 'native',
    atOrigin: true,
    originWrittenAt: minutesAgo(1),
    referencedByReplicaVersion: false,
    now,
    settleMs,
    ...over,
  };
}

test('native replica: missing within the settle time is lagging, beyond it broken', () => {
  assert.equal(classifyMissing(facts({ originWrittenAt: minutesAgo(1) })).broken, false);
  assert.equal(classifyMissing(facts({ originWrittenAt: minutesAgo(14) })).broken, false);
  const late = classifyMissing(facts({ originWrittenAt: minutesAgo(16) }));
  assert.equal(late.broken, true);
  assert.match(late.reason, /claas mirror --replica/);
  // Even when the replica's own lib.json references it: replication has no order, time decides.
  assert.equal(classifyMissing(facts({ referencedByReplicaVersion: true })).broken, false);
  // No write time known: broken (nothing says replication is still on its way).
  assert.equal(classifyMissing(facts({ originWrittenAt: undefined })).broken, true);
});

test('mirror replica: missing from its own committed version is broken, from a newer version lagging', () => {
  assert.equal(
    classifyMissing(
      facts({ mode: 'mirror', referencedByReplicaVersion: true, originWrittenAt: minutesAgo(1) }),
    ).broken,
    true,
  );
  assert.equal(
    classifyMissing(
      facts({ mode: 'mirror', referencedByReplicaVersion: false, originWrittenAt: minutesAgo(600) }),
    ).broken,
    false,
    'a mirror that has not run for hours lags; it is not broken',
  );
});

test("an object the origin lacks too is not the replica's fault; at the origin it is broken", () => {
  assert.equal(classifyMissing(facts({ atOrigin: false, originWrittenAt: undefined })).broken, false);
  assert.equal(classifyMissing(facts({ role: 'origin' })).broken, true);
});

function store(
  state: StoreStatus['state'],
  role: StoreStatus['role'] = 'replica',
  code?: string,
): StoreStatus {
  return {
    name: role === 'origin' ? 'origin' : `r-${state}`,
    role,
    location: '',
    endpoint: '',
    state,
    missing: [],
    wrongSize: [],
    wrongHash: [],
    problems: [],
    checkedObjects: 0,
    requests: 0,
    ...(code === undefined ? {} : { error: { code, message: 'x' } }),
  };
}

test('exit codes: 0 consistent, 1 lagging, 2 broken (wins over everything), errors by their code', () => {
  const origin = store('consistent', 'origin');
  assert.equal(overallExitCode([origin, store('consistent')]), 0);
  assert.equal(overallExitCode([origin, store('lagging'), store('consistent')]), 1);
  assert.equal(overallExitCode([origin, store('lagging'), store('broken')]), 2);
  assert.equal(overallExitCode([origin, store('error', 'replica', 'AUTH'), store('broken')]), 2);
  assert.equal(overallExitCode([origin, store('error', 'replica', 'AUTH'), store('lagging')]), 77);
  assert.equal(overallExitCode([origin, store('empty')]), 1, 'a replica that holds nothing yet lags');
  assert.equal(overallExitCode([store('empty', 'origin'), store('empty')]), 0);
});
