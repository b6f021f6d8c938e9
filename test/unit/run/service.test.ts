// The service loop of `claas run` with fake sources and a fake sync step over a real folder store (the run
// lease is real): steps follow changed listings, pending deletions and failures, never overlap and see the
// latest outcome of every source; a second service waits as standby and takes over when the first stops;
// stop() abandons a step that does not finish within the drain time and releases the lease; a reload that
// cannot start keeps the old configuration running. Real sources and the real sync step are exercised by
// test/integration/run/run-service.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { ClaasError } from '../../../src/errors.js';
import type { ClaasConfig, SourceConfig } from '../../../src/config/schema.js';
import { readLocks } from '../../../src/publish/lock.js';
import { RUN_LEASE_PREFIX } from '../../../src/publish/layout.js';
import { startRunService } from '../../../src/run/service.js';
import type { RunService, RunServiceOptions } from '../../../src/run/service.js';
import type { SyncStep } from '../../../src/run/library.js';
import type { Source } from '../../../src/run/sources/index.js';
import type { PollOutcome, RunEvent, SyncOutcome } from '../../../src/run/types.js';
import { withTempDir } from '../../helpers/cli.js';

const INTERVAL = 20;

/** A source whose listing is whatever `token` says now. */
class FakeSource implements Source {
  token = 't0';
  closed = false;
  readonly config: SourceConfig;
  constructor(readonly name: string) {
    this.config = { kind: 'folder', path: name, intervalMs: INTERVAL, maxDelete: { percent: 50 } };
  }
  async poll(): Promise<PollOutcome> {
    return {
      ok: true,
      listing: {
        source: this.name,
        kind: 'folder',
        items: [{ name: `${this.name}-item`, fingerprint: this.token }],
        vmtx: [],
        requests: 0,
        token: this.token,
      },
    };
  }
  prepare(): never {
    throw new Error('the fake sync step does not prepare');
  }
  describe(): Record<string, string> {
    return { folder: this.name };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function config(library: string, schedule?: string): ClaasConfig {
  return {
    file: `/etc/claas/${library}.yaml`,
    library,
    origin: { location: `s3://bucket/${library}` },
    replicas: [],
    replication: {},
    sources: [],
    ...(schedule === undefined ? {} : { archive: { schedule, to: 's3://archive/x' } }),
  } as unknown as ClaasConfig;
}

/** Waits (event loop kept alive: the service's timers are unref'd) until `cond` holds. */
async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Harness {
  service: RunService;
  events: RunEvent[];
  sources: FakeSource[];
}

async function start(
  dir: string,
  sync: SyncStep,
  extra: Partial<RunServiceOptions> = {},
  names = ['a', 'b'],
): Promise<Harness> {
  const events: RunEvent[] = [];
  const sources = names.map((n) => new FakeSource(n));
  const service = await startRunService({
    configs: [config('lib')],
    allowDelete: false,
    onEvent: (e) => events.push(e),
    standbyRetryMs: 20,
    leaseTtlMs: 4000,
    drainMs: 50,
    ...extra,
    hooks: {
      openOrigin: async () => new FsStore(join(dir, 'origin')),
      openSources: () => sources,
      sync,
      ...(extra.hooks ?? {}),
    },
  });
  return { service, events, sources };
}

const quiet = (verdicts: SyncOutcome['verdicts'] = {}): SyncOutcome => ({ bytes: 0, verdicts });

test('steps follow changes, pending deletions and failures; one at a time, with the latest outcomes', async () => {
  await withTempDir(async (dir) => {
    const seen: Map<string, PollOutcome>[] = [];
    let running = 0;
    let most = 0;
    let pendingOnce = false;
    let failOnce = false;
    const sync: SyncStep = async (o) => {
      running += 1;
      most = Math.max(most, running);
      seen.push(o.outcomes);
      await new Promise((r) => setTimeout(r, 30));
      running -= 1;
      if (failOnce) {
        failOnce = false;
        throw new ClaasError('UNREACHABLE', 'the origin did not answer');
      }
      if (pendingOnce) {
        pendingOnce = false;
        return quiet({ a: { keep: [], pending: ['gone'], remove: [] } });
      }
      return quiet();
    };
    const h = await start(dir, sync);
    const polls = (name: string) => h.events.filter((e) => e.type === 'poll' && e.source === name).length;
    try {
      await until(() => seen.length === 1, 'the first step');
      assert.ok(seen[0]!.has('a') && seen[0]!.has('b'), 'the first step waits for every source');
      assert.deepEqual(
        h.events.filter((e) => e.type === 'role'),
        [{ type: 'role', library: 'lib', role: 'active' }],
      );
      const after = polls('a') + 3;
      await until(() => polls('a') >= after && running === 0, 'three quiet polls');
      assert.equal(seen.length, 1, 'unchanged listings run no step');

      h.sources[0]!.token = 't1';
      await until(() => seen.length === 2, 'a step for the change');
      const outcome = seen[1]!.get('a');
      assert.ok(outcome?.ok === true && outcome.listing.token === 't1', 'the step sees the new listing');

      pendingOnce = true;
      h.sources[1]!.token = 't2';
      await until(() => seen.length === 4 && running === 0, 'the confirming step of a pending deletion');
      const quietFrom = polls('b') + 3;
      await until(() => polls('b') >= quietFrom && running === 0, 'quiet again');
      assert.equal(seen.length, 4, 'once confirmed, no more steps');

      failOnce = true;
      h.sources[0]!.token = 't3';
      await until(() => seen.length === 6, 'the failed step tried again');
      const error = h.events.find((e) => e.type === 'error');
      assert.match(JSON.stringify(error), /the origin did not answer/);
      await until(() => h.service.status().libraries[0]?.lastError === undefined, 'the error cleared');

      // Changes faster than steps: they coalesce, never overlap.
      for (let i = 0; i < 5; i++) {
        h.sources[0]!.token = `burst${i}`;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(most, 1, 'steps never overlap');
      const status = h.service.status().libraries[0]!;
      assert.equal(status.role, 'active');
      assert.ok(status.sources.every((s) => s.polls > 0 && s.lastSuccessAt !== undefined));
    } finally {
      await h.service.stop('test over');
    }
    assert.ok(
      h.sources.every((s) => s.closed),
      'sources closed',
    );
  });
});

test('a second service waits as standby and takes over when the first stops', async () => {
  await withTempDir(async (dir) => {
    const steps = { first: 0, second: 0 };
    const first = await start(dir, async () => {
      steps.first += 1;
      return quiet();
    });
    await until(() => steps.first > 0, 'the first service active');
    const second = await start(dir, async () => {
      steps.second += 1;
      return quiet();
    });
    try {
      await until(
        () => second.events.some((e) => e.type === 'role' && e.role === 'standby'),
        'the second on standby',
      );
      const standby = second.events.find((e) => e.type === 'role');
      assert.match(JSON.stringify(standby), new RegExp(`pid ${process.pid}`), 'naming the holder');
      assert.equal(second.service.status().libraries[0]?.role, 'standby');
      assert.equal(steps.second, 0, 'a standby does not publish');
      await first.service.stop('handing over');
      await until(() => steps.second > 0, 'the second service active');
      assert.equal(second.service.status().libraries[0]?.role, 'active');
    } finally {
      await first.service.stop('again');
      await second.service.stop('test over');
    }
    assert.deepEqual(await readLocks(new FsStore(join(dir, 'origin')), new Date(), RUN_LEASE_PREFIX), []);
  });
});

test('stop abandons a step that outlasts the drain time and releases the lease', async () => {
  await withTempDir(async (dir) => {
    let aborted: unknown;
    let started = false;
    const h = await start(dir, (o) => {
      started = true;
      return new Promise((_, reject) => {
        o.signal.addEventListener('abort', () => {
          aborted = o.signal.reason;
          reject(o.signal.reason as Error);
        });
      });
    });
    await until(() => started, 'a step in progress');
    await h.service.stop('SIGTERM');
    assert.ok(aborted instanceof ClaasError, 'the step was told to stop');
    assert.ok(h.events.some((e) => e.type === 'stop' && e.reason === 'SIGTERM'));
    assert.deepEqual(await readLocks(new FsStore(join(dir, 'origin')), new Date(), RUN_LEASE_PREFIX), []);
  });
});

test('a reload that cannot start is refused and the old configuration keeps running', async () => {
  await withTempDir(async (dir) => {
    let steps = 0;
    const h = await start(dir, async () => {
      steps += 1;
      return quiet();
    });
    try {
      await until(() => steps > 0, 'running');
      await assert.rejects(h.service.reload([config('lib', 'every day')]), (e: unknown) => {
        assert.ok(e instanceof ClaasError && e.code === 'BAD_INPUT', String(e));
        assert.match(e.message, /archive\.schedule/);
        return true;
      });
      assert.equal(h.events.at(-1)?.type, 'reload');
      assert.equal((h.events.at(-1) as { ok: boolean }).ok, false);
      await assert.rejects(h.service.reload([config('lib'), config('lib')]), /configured twice/);
      const polls = h.service.status().libraries[0]!.sources[0]!.polls;
      await until(() => h.service.status().libraries[0]!.sources[0]!.polls > polls, 'still polling');

      await h.service.reload([config('other', '0 3 1 * *')]);
      assert.deepEqual(
        h.service.status().libraries.map((l) => [l.library, l.archive?.schedule]),
        [['other', '0 3 1 * *']],
      );
      assert.deepEqual(h.events.at(-1), { type: 'reload', ok: true });
    } finally {
      await h.service.stop('test over');
    }
  });
});
