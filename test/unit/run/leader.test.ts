// The run lease of `claas run` on a real folder store: one holder at a time, the second names the holder and
// takes over when the lease is released, when the holder's process on this host is gone or when its entry
// expired; the lease lives beside the publish lock without blocking it; a holder steps down (lost aborts)
// when its refreshes fail or another live holder took the lease before it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { FsStore } from '../../../src/store/fs.js';
import type { ObjectStore } from '../../../src/store/types.js';
import { acquireLock, readLocks } from '../../../src/publish/lock.js';
import { RUN_LEASE_PREFIX } from '../../../src/publish/layout.js';
import { tryAcquireLease } from '../../../src/run/leader.js';
import type { RunLease } from '../../../src/run/leader.js';
import { withTempDir } from '../../helpers/cli.js';

const OP = { operation: 'claas run lib', ttlMs: 60_000 };

function held(a: Awaited<ReturnType<typeof tryAcquireLease>>): RunLease {
  assert.ok(a.held !== undefined, `expected the lease, got ${JSON.stringify(a)}`);
  return a.held;
}

/** Waits for the lease to be lost (its timers are unref'd: something must keep the test's event loop alive). */
async function lostOf(lease: RunLease): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await once(lease.lost, 'abort');
  } finally {
    clearInterval(keepAlive);
  }
}

async function putEntry(store: ObjectStore, token: string, e: Record<string, unknown>): Promise<void> {
  await store.put(`${RUN_LEASE_PREFIX}${token}.json`, {
    kind: 'bytes',
    data: Buffer.from(JSON.stringify({ operation: 'claas run lib', token, ...e })),
  });
}

test('one holder at a time; the second names the holder and takes over after release', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const first = held(await tryAcquireLease(store, OP));
    const second = await tryAcquireLease(store, OP);
    assert.equal(second.held, undefined);
    assert.equal(second.holder?.pid, process.pid);
    assert.equal(second.holder?.token, first.info.token);
    assert.equal((await readLocks(store, new Date(), RUN_LEASE_PREFIX)).length, 1, 'the loser left no entry');
    await first.release();
    assert.equal(first.lost.aborted, false, 'release is not a loss');
    const third = held(await tryAcquireLease(store, OP));
    await third.release();
    assert.deepEqual(await readLocks(store, new Date(), RUN_LEASE_PREFIX), []);
  });
});

test('the lease and the publish lock are independent', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const lease = held(await tryAcquireLease(store, OP));
    const lock = await acquireLock(store, { operation: 'publish' });
    assert.equal((await readLocks(store)).length, 1, 'the publish lock does not see the lease');
    await lock.release();
    await lease.release();
  });
});

test('a holder that died on this host, or whose entry expired, is taken over at once', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const now = Date.now();
    await putEntry(store, 'dead', {
      holder: `x@${hostname()}`,
      host: hostname(),
      pid: 2 ** 22 + 12345, // above pid_max's default: no such process
      since: new Date(now - 1000).toISOString(),
      expiresAt: new Date(now + 3600_000).toISOString(),
    });
    const a = held(await tryAcquireLease(store, OP));
    assert.equal(await store.readBytes(`${RUN_LEASE_PREFIX}dead.json`), undefined, 'the dead entry is gone');
    await a.release();

    await putEntry(store, 'other', {
      holder: 'ops@other-host',
      host: 'other-host',
      pid: 1,
      since: new Date(now - 120_000).toISOString(),
      expiresAt: new Date(now + 60_000).toISOString(),
    });
    const refused = await tryAcquireLease(store, OP);
    assert.equal(refused.held, undefined);
    assert.equal(refused.holder?.holder, 'ops@other-host');
    await putEntry(store, 'other', {
      holder: 'ops@other-host',
      host: 'other-host',
      pid: 1,
      since: new Date(now - 120_000).toISOString(),
      expiresAt: new Date(now - 1).toISOString(),
    });
    const b = held(await tryAcquireLease(store, OP));
    await b.release();
  });
});

test('a holder whose refreshes fail steps down', async () => {
  await withTempDir(async (dir) => {
    const fs = new FsStore(dir);
    let failing = false;
    const store: ObjectStore = Object.create(fs, {
      put: {
        value: (...args: Parameters<ObjectStore['put']>) =>
          failing ? Promise.reject(new Error('store unreachable')) : fs.put(...args),
      },
    });
    const lease = held(await tryAcquireLease(store, { ...OP, ttlMs: 1000 }));
    failing = true;
    await lostOf(lease);
    assert.match(String((lease.lost.reason as Error).message), /could not be refreshed/);
    failing = false;
    await lease.release();
  });
});

test('of two live holders, the later one steps down', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const lease = held(await tryAcquireLease(store, { ...OP, ttlMs: 1000 }));
    // Another host took the lease too (say its clock ran ahead of ours): its entry is older.
    await putEntry(store, 'earlier', {
      holder: 'ops@other-host',
      host: 'other-host',
      pid: 1,
      since: new Date(Date.parse(lease.info.since) - 1000).toISOString(),
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    await lostOf(lease);
    assert.match(String((lease.lost.reason as Error).message), /also held by ops@other-host/);
    await lease.release();
    assert.deepEqual(
      (await readLocks(store, new Date(), RUN_LEASE_PREFIX)).map((l) => l.token),
      ['earlier'],
      'the loser removed its own entry only',
    );
  });
});
