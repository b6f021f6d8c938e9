// The library lock on a real folder store: a second publisher fails fast naming the holder; a lock
// whose holder died (pid gone) or expired is recovered and its entry removed; a live holder's is not.

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

test('a lock whose holder process is gone is recovered; one whose holder lives is not', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const entry = (pid: number, token: string) => ({
      holder: 'x@' + hostname(),
      host: hostname(),
      pid,
      operation: 'publish',
      since: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3600_000).toISOString(), // not expired: only the pid decides
      token,
    });
    const put = (token: string, info: object) =>
      store.put(`${LOCK_PREFIX}${token}.json`, { kind: 'bytes', data: Buffer.from(JSON.stringify(info)) });

    // Alive on this host (our parent process): the lock holds.
    await put('alive', entry(process.ppid, 'alive'));
    await assert.rejects(acquireLock(store, { operation: 'publish' }), (e: unknown) => {
      assert.ok(e instanceof ClaasError && e.code === 'LOCKED', String(e));
      assert.ok(e.message.includes(`pid ${process.ppid}`), e.message);
      return true;
    });
    await store.delete([`${LOCK_PREFIX}alive.json`]);

    // Gone: the next taker gets the lock and removes the dead entry.
    const deadPid = 2 ** 22 + 12345; // above pid_max's default: no such process
    await put('dead', entry(deadPid, 'dead'));
    assert.deepEqual(await readLocks(store), [], 'a dead holder does not count as a live lock');
    const lock = await acquireLock(store, { operation: 'publish' });
    assert.equal(await store.readBytes(`${LOCK_PREFIX}dead.json`), undefined, 'the dead entry was removed');
    assert.deepEqual(
      (await readLocks(store)).map((l) => [l.pid, l.token]),
      [[process.pid, lock.info.token]],
    );
    await lock.release();
    assert.deepEqual(await readLocks(store), []);
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
    assert.equal(
      await store.readBytes(`${LOCK_PREFIX}other.json`),
      undefined,
      'the expired entry was removed',
    );
    await lock.release();
  });
});
