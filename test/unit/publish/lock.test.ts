// The library lock on a real folder store: a second publisher fails fast naming the holder; a lock
// whose holder died (pid gone) or expired is recovered.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { FsStore } from '../../../src/store/fs.js';
import { acquireLock, readLocks } from '../../../src/publish/lock.js';
import { LOCK_PREFIX } from '../../../src/publish/layout.js';
import { ClaasError } from '../../../src/errors.js';
import { withTempDir } from '../../helpers/cli.js';

test('a second taker fails fast, naming the holder and since when', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const first = await acquireLock(store, { operation: 'publish' });
    await assert.rejects(acquireLock(store, { operation: 'publish' }), (e: unknown) => {
      assert.ok(e instanceof ClaasError);
      assert.equal(e.code, 'LOCKED');
      assert.ok(e.message.includes(`pid ${process.pid}`), e.message);
      assert.ok(e.message.includes(first.info.since), e.message);
      return true;
    });
    assert.equal((await readLocks(store)).length, 1, 'the loser removed its own entry');
    await first.release();
    const again = await acquireLock(store, { operation: 'publish' });
    await again.release();
    assert.equal((await readLocks(store)).length, 0);
  });
});

test('a lock whose holder process is gone is recovered', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const dead = {
      holder: 'x@' + hostname(),
      host: hostname(),
      pid: 2 ** 22 + 12345, // above pid_max's default: no such process
      operation: 'publish',
      since: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      token: 'dead',
    };
    await store.put(`${LOCK_PREFIX}dead.json`, { kind: 'bytes', data: Buffer.from(JSON.stringify(dead)) });
    const lock = await acquireLock(store, { operation: 'publish' });
    await lock.release();
  });
});

test('an expired lock from another host is recovered; a live one is not', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const other = (expiresAt: Date) => ({
      holder: 'ops@other-host',
      host: 'other-host',
      pid: 1,
      operation: 'publish',
      since: new Date(Date.now() - 10_000).toISOString(),
      expiresAt: expiresAt.toISOString(),
      token: 'other',
    });
    await store.put(`${LOCK_PREFIX}other.json`, {
      kind: 'bytes',
      data: Buffer.from(JSON.stringify(other(new Date(Date.now() + 60_000)))),
    });
    await assert.rejects(acquireLock(store, { operation: 'publish' }), /locked by ops@other-host/);
    await store.put(`${LOCK_PREFIX}other.json`, {
      kind: 'bytes',
      data: Buffer.from(JSON.stringify(other(new Date(Date.now() - 1000)))),
    });
    const lock = await acquireLock(store, { operation: 'publish' });
    await lock.release();
  });
});
