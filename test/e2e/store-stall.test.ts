// A store that stops answering: `claas publish` to an S3 endpoint that accepts TCP connections and never
// says a word (a black hole on 127.0.0.1). claas must print a stall notice naming the endpoint, the
// operation and what is pending, then give up with a clear error: never hang. The waits are set small
// with CLAAS_STORE_STALL_NOTICE and --store-timeout; no timing is asserted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { writeSampleSource } from '../../src/demo/samples.js';
import { isolatedEnv, runCli, withTempDir } from '../helpers/cli.js';

/** A TCP listener that accepts every connection and never reads or writes. */
async function blackHole(): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.pause();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

test('claas publish to a store that never answers: a stall notice, then a clear error', async () => {
  const hole = await blackHole();
  try {
    await withTempDir(async (dir) => {
      const src = join(dir, 'src');
      await writeSampleSource(src);
      const env = {
        ...isolatedEnv(dir),
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'not-a-secret',
        AWS_EC2_METADATA_DISABLED: 'true',
        CLAAS_ACTOR: 'stall-test',
        CLAAS_STORE_STALL_NOTICE: '1s',
      };
      const args = [
        'publish',
        src,
        '--to',
        's3://stalled/lib',
        '--endpoint',
        hole.url,
        '--region',
        'us-east-1',
      ];
      const r = await runCli([...args, '--store-timeout', '4s'], { env, timeoutMs: 180_000 });
      assert.equal(r.signal, null, `claas hung and was killed:\n${r.stderr}`);
      assert.equal(r.code, 69, r.stderr); // UNREACHABLE

      const notice = r.stderr.split('\n').find((l) => l.includes('waiting for the S3 store'));
      assert.ok(notice, `no stall notice:\n${r.stderr}`);
      assert.ok(notice.includes(hole.url), notice);
      assert.match(notice, /no answer for \d+ s, \d+ requests? pending: [A-Z][A-Za-z]+ s3:\/\/stalled/);
      assert.match(notice, /--store-timeout/);

      assert.match(r.stderr, new RegExp(`error: The S3 store at ${hole.url} stopped answering`));
      assert.match(r.stderr, /gave up/);
      assert.match(r.stderr, /fix: .*raise --store-timeout or CLAAS_STORE_TIMEOUT/);
      assert.ok(!r.stderr.includes('not-a-secret'));

      // The same with --json: the notice stays on stderr, stdout is the error document.
      const j = await runCli([...args, '--json'], {
        env: { ...env, CLAAS_STORE_TIMEOUT: '3s' },
        timeoutMs: 180_000,
      });
      assert.equal(j.code, 69, j.stderr);
      assert.match(j.stderr, /waiting for the S3 store/);
      assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'UNREACHABLE');
    });
  } finally {
    await hole.close();
  }
});
