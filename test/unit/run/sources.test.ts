// The sources of `claas run` (src/run/sources): a folder's poll (a token that moves only when an item does,
// no requests, a missing folder reported rather than thrown), a VCSP URL followed through syncLibrary (one
// request per idle poll, items read only when lib.json's version moved, deletions after the confirming
// poll, an unreachable publisher leaving the library untouched), a poll that hangs failing at its time limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startVcspServer } from '../../../src/gateway/vcsp-server.js';
import { publish } from '../../../src/publish/publish.js';
import { readAudit } from '../../../src/publish/audit.js';
import { importLibrary } from '../../../src/sources/import.js';
import { openVcspSource } from '../../../src/sources/vcsp.js';
import { openSources } from '../../../src/run/sources/index.js';
import type { SourceListing } from '../../../src/run/types.js';
import { FsStore } from '../../../src/store/fs.js';
import { textItem } from '../../helpers/source-item.js';
import { SyncHarness, folderSource, originItems, runConfig, withWork } from '../../helpers/run-sync.js';

const signal = () => new AbortController().signal;

test('folder source: the token moves when an item is added, changed or removed, not otherwise', () =>
  withWork(async (work) => {
    const folder = join(work, 'templates');
    await mkdir(join(folder, 'one'), { recursive: true });
    await writeFile(join(folder, 'one', 'a.txt'), 'a');
    await writeFile(join(folder, 'tools.iso'), 'iso bytes');
    const [source] = openSources(runConfig(join(work, 'c.yaml'), [folderSource(folder)]), { env: {} });
    assert.ok(source !== undefined);
    assert.equal(source.name, folder);
    const listing = async (): Promise<SourceListing> => {
      const out = await source.poll(signal());
      assert.ok(out.ok, out.ok ? '' : out.problem.message);
      return out.listing;
    };
    const first = await listing();
    assert.deepEqual(
      first.items.map((i) => i.name),
      ['one', 'tools'],
    );
    assert.equal(first.requests, 0);
    assert.equal((await listing()).token, first.token);

    await writeFile(join(folder, 'one', 'b.txt'), 'b');
    const added = await listing();
    assert.notEqual(added.token, first.token);
    // Same size, other mtime: changed (the hash cache would hash it again).
    await utimes(join(folder, 'tools.iso'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const touched = await listing();
    assert.notEqual(touched.token, added.token);
    assert.deepEqual(
      touched.items.find((i) => i.name === 'one'),
      added.items.find((i) => i.name === 'one'),
    );
    await rm(join(folder, 'tools.iso'));
    assert.deepEqual(
      (await listing()).items.map((i) => i.name),
      ['one'],
    );

    await rm(folder, { recursive: true });
    const gone = await source.poll(signal());
    assert.equal(gone.ok, false);
    assert.match(gone.ok ? '' : gone.problem.message, /templates/);
    await source.close();
  }));

test('vcsp source: idle polls cost one request, changes reach the library, deletions wait one poll', () =>
  withWork(async (work) => {
    const publisher = new FsStore(join(work, 'publisher'));
    const pub = async (names: string[], version: string) =>
      publish(
        {
          items: await Promise.all(names.map((n) => textItem(work, n, `${n} ${version}`))),
          defaultName: 'pub',
        },
        { store: publisher },
      );
    await pub(['alpha', 'beta'], 'v1');
    let requests = 0;
    const server = await startVcspServer({
      store: publisher,
      host: '127.0.0.1',
      port: 0,
      onRequest: () => (requests += 1),
    });
    const origin = new FsStore(join(work, 'origin'));
    const url = server.url;
    const h = new SyncHarness(
      runConfig(join(work, 'c.yaml'), [
        { kind: 'vcsp', url, intervalMs: 60_000, maxDelete: { percent: 50 } },
      ]),
      origin,
      {},
    );
    try {
      const first = await h.cycle();
      assert.deepEqual(first.outcome.version?.added, ['alpha', 'beta']);
      const name = h.sources[0]!.name;
      // Idle: lib.json only.
      const before = requests;
      await h.poll();
      const idle = h.outcomes.get(name);
      assert.ok(idle?.ok);
      assert.equal(idle.listing.requests, 1);
      assert.equal(requests - before, 1);
      assert.equal((await h.step()).outcome.version, undefined);

      // A changed item and a new one: only they are downloaded.
      await pub(['alpha', 'beta', 'gamma'], 'v2');
      const changed = await h.cycle();
      assert.deepEqual(changed.outcome.version?.added, ['gamma']);
      assert.deepEqual(changed.outcome.version?.changed, ['alpha', 'beta']);

      // Removed at the publisher: pending, then removed.
      await pub(['alpha', 'gamma'], 'v2');
      const pending = await h.cycle();
      assert.deepEqual(pending.outcome.verdicts[name]?.pending, ['beta']);
      assert.equal(pending.outcome.version, undefined);
      const removed = await h.cycle();
      assert.deepEqual(removed.outcome.version?.removed, ['beta']);

      // claas import records its versions as 'import', naming the source.
      const imported = new FsStore(join(work, 'imported'));
      const remote = await openVcspSource(url);
      try {
        await importLibrary(remote, { store: imported });
      } finally {
        remote.close();
      }
      const entries = (await readAudit(imported)).entries;
      assert.deepEqual(
        entries.map((e) => [e.action, (e.details?.source as { kind: string; url: string }).url]),
        [['import', url]],
      );

      // The publisher goes away: the poll fails, the library stays as it is.
      await server.close();
      const down = await h.cycle();
      assert.equal(h.outcomes.get(name)?.ok, false);
      assert.match(down.outcome.verdicts[name]?.held ?? '', /listing failed/);
      assert.deepEqual(Object.keys((await originItems(origin)).items), ['alpha', 'gamma']);
    } finally {
      await h.close();
      await server.close().catch(() => undefined);
    }
  }));

test('a poll that does not finish fails at its time limit', () =>
  withWork(async (work) => {
    // A server that accepts requests and never answers.
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as AddressInfo).port;
    try {
      const [source] = openSources(
        runConfig(join(work, 'c.yaml'), [
          {
            kind: 'vcsp',
            url: `http://127.0.0.1:${port}/lib.json`,
            intervalMs: 1000,
            maxDelete: { count: 1 },
          },
        ]),
        { pollTimeoutMs: 200 },
      );
      const out = await source!.poll(signal());
      assert.equal(out.ok, false);
      assert.equal(out.ok ? '' : out.problem.code, 'TIMEOUT');
      await source!.close();
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  }));
