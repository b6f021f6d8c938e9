// The replica round of `claas run` with a scripted status check (the real check is exercised against Ceph by
// test/integration/run/run-service.test.ts): a native replica that lags is checked again on the period until
// it is consistent, state changes are reported once each; one that keeps lagging is checked for the bounded
// total only and stays reported 'lagging'; a failing check is an 'error' event, never a crash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import type { ClaasConfig } from '../../../src/config/schema.js';
import type { StatusReport, StoreStatus } from '../../../src/replicate/status.js';
import { ReplicaFollower } from '../../../src/run/replicas.js';
import { StatusBook } from '../../../src/run/status-book.js';
import type { RunEvent } from '../../../src/run/types.js';
import { withTempDir } from '../../helpers/cli.js';

const config = {
  file: '/etc/claas/claas.yaml',
  library: 'lib',
  replicas: [{ name: 'west', mode: 'native' }],
} as unknown as ClaasConfig;

function report(state: StoreStatus['state'], version: number): StatusReport {
  const store = (name: string, role: 'origin' | 'replica', s: StoreStatus['state']): StoreStatus => ({
    name,
    role,
    ...(role === 'replica' ? { mode: 'native' as const } : {}),
    location: name,
    endpoint: 'x',
    state: s,
    consistentVersion: s === 'consistent' ? version : version - 1,
    missing: [],
    wrongSize: [],
    wrongHash: [],
    problems: [],
    checkedObjects: 0,
    requests: 1,
  });
  return {
    library: 'lib',
    checkedAt: new Date().toISOString(),
    state: state === 'consistent' ? 'consistent' : 'lagging',
    exitCode: state === 'consistent' ? 0 : 1,
    origin: { version },
    settleSeconds: 0,
    stores: [store('origin', 'origin', 'consistent'), store('west', 'replica', state)],
    requests: 2,
    rule: '',
  };
}

async function round(
  dir: string,
  script: (n: number) => Promise<StatusReport>,
  totalMs: number,
): Promise<{ events: RunEvent[]; book: StatusBook; checks: number }> {
  const events: RunEvent[] = [];
  const book = new StatusBook();
  book.addLibrary({
    library: 'lib',
    configFile: 'x',
    sources: [],
    replicas: [{ name: 'west', mode: 'native' }],
  });
  let checks = 0;
  const follower = new ReplicaFollower({
    config,
    origin: new FsStore(join(dir, 'origin')),
    book,
    onEvent: (e) => events.push(e),
    watch: { periodMs: 10, totalMs },
    check: () => script(checks++),
  });
  const keepAlive = setInterval(() => {}, 1000);
  try {
    follower.request();
    await follower.idle();
  } finally {
    clearInterval(keepAlive);
  }
  return { events, book, checks };
}

test('a lagging native replica is watched until consistent; each change reported once', async () => {
  await withTempDir(async (dir) => {
    const r = await round(dir, async (n) => report(n < 3 ? 'lagging' : 'consistent', 5), 60_000);
    assert.equal(r.checks, 4);
    assert.deepEqual(
      r.events.filter((e) => e.type === 'replica'),
      [
        { type: 'replica', library: 'lib', replica: 'west', state: 'lagging' },
        { type: 'replica', library: 'lib', replica: 'west', state: 'consistent' },
      ],
    );
    const lib = r.book.status().libraries[0]!;
    assert.deepEqual(lib.replicas, [{ name: 'west', mode: 'native', state: 'consistent', version: 5 }]);
    assert.equal(lib.originVersion, 5);
  });
});

test('the watch is bounded: a replica still behind stays lagging', async () => {
  await withTempDir(async (dir) => {
    const r = await round(dir, async () => report('lagging', 5), 100);
    assert.ok(r.checks >= 1, 'checked');
    assert.equal(r.book.status().libraries[0]!.replicas[0]!.state, 'lagging');
  });
});

test('a failing check is reported, not thrown', async () => {
  await withTempDir(async (dir) => {
    const r = await round(dir, () => Promise.reject(new Error('endpoint down')), 60_000);
    assert.match(JSON.stringify(r.events), /replica status: endpoint down/);
    assert.equal(r.book.status().libraries[0]!.replicas[0]!.state, 'unknown');
  });
});
