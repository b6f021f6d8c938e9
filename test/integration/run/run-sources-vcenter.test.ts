// `claas run`'s vCenter source against vcsim, with a Ceph origin: a library's items reach the origin; an
// idle poll costs two requests (GET library + the item ids) whatever the number of items; an item added
// through the vCenter API appears in the next version; one deleted there disappears only after the
// confirming poll; a VM template is reported by name, not copied; vcsim unreachable (the pipe to it cut)
// fails the poll and leaves the library untouched.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAudit } from '../../../src/publish/audit.js';
import type { SourceConfig } from '../../../src/config/schema.js';
import {
  connectVcenter,
  createLocalLibrary,
  deleteLibrary,
  ensureItem,
  uploadItemFiles,
} from '../../../src/vcenter/index.js';
import type { VcenterApi } from '../../../src/vcenter/index.js';
import type { ObjectStore } from '../../../src/store/types.js';
import { cephSkip, createBucket, deleteBucket, openTestStore, uniqueBucketName } from '../../helpers/ceph.js';
import { SyncHarness, originItems, runConfig } from '../../helpers/run-sync.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';
import type { TcpProxy } from '../../helpers/tcp-proxy.js';
import { firstRef, requireVcsim, uniqueName, vcsimConnectOptions, vcsimSkip } from '../../helpers/vcsim.js';

const skip = vcsimSkip() || cephSkip();
let work = '';
let api: VcenterApi;
let libraryId = '';
let libraryName = '';
let bucket = '';
let store: ObjectStore | undefined;
let proxy: TcpProxy | undefined;

/** An ISO item with one file, created and uploaded through the vCenter API. */
async function isoItem(name: string, content: string): Promise<string> {
  const data = Buffer.from(content);
  const { item } = await ensureItem(api, { libraryId, name, type: 'iso' });
  const sha256 = createHash('sha256').update(data).digest('hex');
  await uploadItemFiles(
    api,
    item.id,
    [{ name: `${name}.iso`, size: data.length, sha256, open: () => data }],
    {
      intervalMs: 50,
    },
  );
  return item.id;
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'claas-run-vc-'));
  await writeFile(join(work, 'vc-password'), `${requireVcsim().password}\n`, { mode: 0o600 });
  api = await connectVcenter(vcsimConnectOptions());
  libraryName = uniqueName('claas-run-src');
  libraryId = (await createLocalLibrary(api, { name: libraryName, datastoreId: firstRef('datastores').id }))
    .id;
  await isoItem('tools', 'tools iso, first');
  await ensureItem(api, { libraryId, name: 'golden-vm', type: 'vm-template' });
  bucket = uniqueBucketName('claas-run-vc');
  await createBucket(bucket);
  store = await openTestStore('publisher', bucket, 'lib');
  const vcsimUrl = new URL(requireVcsim().url);
  proxy = await startTcpProxy({ host: vcsimUrl.hostname, port: Number(vcsimUrl.port) });
});

after(async () => {
  await proxy?.close();
  if (api !== undefined) {
    if (libraryId) await deleteLibrary(api, libraryId).catch(() => undefined);
    await api.logout();
  }
  store?.close();
  if (bucket) await deleteBucket(bucket);
  if (work) await rm(work, { recursive: true, force: true });
});

test('run sources: a vcsim library followed into a Ceph origin', { skip }, async () => {
  const v = requireVcsim();
  const source: SourceConfig = {
    kind: 'vcenter',
    vcenter: 'sim',
    library: libraryName,
    intervalMs: 60_000,
    maxDelete: { percent: 50 },
  };
  const config = runConfig(
    join(work, 'claas.yaml'),
    [source],
    [
      {
        name: 'sim',
        server: `https://${proxy!.address}`,
        user: v.user,
        passwordFile: join(work, 'vc-password'),
        thumbprint: v.info.thumbprint,
      },
    ],
  );
  const h = new SyncHarness(config, store!, {});
  try {
    const name = h.sources[0]!.name;
    assert.equal(name, `${proxy!.address} library ${JSON.stringify(libraryName)}`);
    const first = await h.cycle();
    assert.deepEqual(first.outcome.version?.added, ['tools']);
    const listed = h.outcomes.get(name);
    assert.ok(listed?.ok);
    assert.deepEqual(listed.listing.vmtx, ['golden-vm']);

    // Idle: GET library and the item ids, nothing per item; nothing committed.
    const idle = await h.cycle();
    const idlePoll = h.outcomes.get(name);
    assert.ok(idlePoll?.ok);
    assert.equal(idlePoll.listing.requests, 2);
    assert.equal(idlePoll.listing.token, listed.listing.token);
    assert.equal(idle.outcome.version, undefined);

    // Added through the vCenter API: in the next version.
    await isoItem('extra', 'an extra iso');
    const added = await h.cycle();
    assert.deepEqual(added.outcome.version?.added, ['extra']);
    assert.deepEqual(Object.keys((await originItems(store!)).items), ['extra', 'tools']);

    // Deleted there: pending on the first poll without it, removed on the second.
    const ids = await api.listItems(libraryId);
    for (const id of ids) if ((await api.getItem(id)).name === 'tools') await api.deleteItem(id);
    const pending = await h.cycle();
    assert.equal(pending.outcome.version, undefined);
    assert.deepEqual(pending.outcome.verdicts[name]?.pending, ['tools']);
    assert.ok('tools' in (await originItems(store!)).items);
    const removed = await h.cycle();
    assert.deepEqual(removed.outcome.version?.removed, ['tools']);

    // The audit entry of each version names the vCenter and the library.
    const audit = (await readAudit(store!, { actions: ['publish'] })).entries;
    assert.equal(audit.length, 3);
    for (const e of audit) {
      const sources = e.details?.sources as { kind: string; host: string; library: string }[];
      assert.deepEqual(
        sources.map((s) => [s.kind, s.host, s.library]),
        [['vcenter', proxy!.address, libraryName]],
      );
    }

    // vCenter unreachable: the poll fails, the library is left as it is.
    const before = await originItems(store!);
    await proxy!.close();
    const down = await h.cycle();
    assert.equal(h.outcomes.get(name)?.ok, false);
    assert.match(down.outcome.verdicts[name]?.held ?? '', /listing failed/);
    assert.equal(down.outcome.version, undefined);
    assert.deepEqual(await originItems(store!), before);
  } finally {
    await h.close();
  }
});
