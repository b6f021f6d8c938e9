// The gateway's tenant view of the store (tenant-view.ts) and the shared activity (activity-share.ts):
// first store of the list that carries the tenants wins, a store that does not answer or holds a damaged
// object is skipped, fail-static when none gives a good view (last view kept, reported as stale with its
// age and the error, recovered when readable again), no start without a first view, an empty view when no
// store has tenants yet. Activity objects: hostile ones ignored, counts summed over gateways.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore } from '../../../src/store/fs.js';
import { ClaasError, isClaasError } from '../../../src/errors.js';
import type { ObjectStore } from '../../../src/store/types.js';
import { CONTROL_TENANTS_KEY, activityKey } from '../../../src/config/control-layout.js';
import { TenantView } from '../../../src/gateway/multi/tenant-view.js';
import type { ViewProblem } from '../../../src/gateway/multi/tenant-view.js';
import type { TenantRecord } from '../../../src/gateway/multi/tenants.js';
import { ActivityShare, activityDocument, parseActivity } from '../../../src/gateway/admin/activity-share.js';
import { TenantActivity, addRecords } from '../../../src/gateway/admin/tenant-activity.js';

const hash = { N: 32768, r: 8, p: 1, salt: 'AAAAAAAAAAAAAAAAAAAAAA==', hash: 'A'.repeat(44) };
const doc = (...names: string[]) =>
  JSON.stringify({
    format: 'claas.tenants/1',
    tenants: names.map((name, i) => ({
      name,
      libraries: ['templates'],
      keyId: `${'abcdefgh'[i]}`.repeat(8),
      scrypt: hash,
      created: '2026-12-01T00:00:00.000Z',
    })),
  });

/** A local store that can be switched to "does not answer". */
function flaky(store: ObjectStore): ObjectStore & { down: boolean } {
  const s = Object.create(store) as ObjectStore & { down: boolean };
  s.down = false;
  const fail = () => new ClaasError('UNREACHABLE', 'connection refused', { input: store.display });
  s.head = async (k) => {
    if (s.down) throw fail();
    return store.head(k);
  };
  s.read = async (k, r) => {
    if (s.down) throw fail();
    return store.read(k, r);
  };
  return s;
}

async function fixture(
  fn: (f: {
    west: ReturnType<typeof flaky>;
    origin: ReturnType<typeof flaky>;
    westDir: string;
    originDir: string;
    clock: { t: number };
    view: (o?: { onChange?: (t: TenantRecord[]) => void }) => {
      view: TenantView;
      changes: string[][];
      problems: Array<ViewProblem & { stale: boolean }>;
      recovered: number;
    };
  }) => Promise<void>,
): Promise<void> {
  const westDir = await mkdtemp(join(tmpdir(), 'claas-view-w-'));
  const originDir = await mkdtemp(join(tmpdir(), 'claas-view-o-'));
  const west = flaky(new FsStore(westDir));
  const origin = flaky(new FsStore(originDir));
  const clock = { t: 1_000_000 };
  try {
    await fn({
      west,
      origin,
      westDir,
      originDir,
      clock,
      view: () => {
        const changes: string[][] = [];
        const problems: Array<ViewProblem & { stale: boolean }> = [];
        const out = { view: undefined as unknown as TenantView, changes, problems, recovered: 0 };
        out.view = new TenantView(
          [
            { name: 'west', store: west },
            { name: 'origin', store: origin },
          ],
          {
            refreshMs: 30_000,
            now: () => clock.t,
            onChange: (t) => changes.push(t.map((x) => x.name)),
            onProblem: (p, stale) => problems.push({ ...p, stale }),
            onRecovered: () => (out.recovered += 1),
          },
        );
        return out;
      },
    });
  } finally {
    await rm(westDir, { recursive: true, force: true });
    await rm(originDir, { recursive: true, force: true });
  }
}

test('the first store of the list that carries the tenants wins; one that does not answer is skipped', async () => {
  await fixture(async ({ west, westDir, originDir, view }) => {
    await writeFile(join(westDir, CONTROL_TENANTS_KEY), doc('acme'));
    await writeFile(join(originDir, CONTROL_TENANTS_KEY), doc('acme', 'globex'));
    const v = view();
    await v.view.start();
    try {
      assert.deepEqual(v.changes, [['acme']]);
      assert.equal(v.view.status().source, 'west');
      west.down = true;
      await v.view.refresh();
      assert.deepEqual(v.changes, [['acme'], ['acme', 'globex']]);
      const s = v.view.status();
      assert.equal(s.source, 'origin');
      assert.equal(s.stale, false);
      assert.equal(s.lastError?.kind, 'unreachable');
      assert.equal(s.lastError?.source, 'west');
      // Nothing changed: no reload.
      await v.view.refresh();
      assert.equal(v.changes.length, 2);
    } finally {
      v.view.stop();
    }
  });
});

test('fail-static: nothing readable keeps the last good view, reported stale with its age; recovery clears it', async () => {
  await fixture(async ({ west, origin, westDir, clock, view }) => {
    await writeFile(join(westDir, CONTROL_TENANTS_KEY), doc('acme'));
    const v = view();
    await v.view.start();
    try {
      west.down = true;
      origin.down = true;
      clock.t += 90_000;
      await v.view.refresh();
      assert.deepEqual(
        v.view.current()?.map((t) => t.name),
        ['acme'],
        'the last view stays',
      );
      assert.deepEqual(v.changes, [['acme']]);
      const s = v.view.status();
      assert.equal(s.stale, true);
      assert.equal(s.source, 'west');
      assert.equal(s.ageSeconds, 90);
      assert.equal(s.lastError?.kind, 'unreachable');
      assert.ok(v.problems.some((p) => p.stale));
      west.down = false;
      clock.t += 1_000;
      await v.view.refresh();
      assert.equal(v.view.status().stale, false);
      assert.equal(v.view.status().ageSeconds, 0);
      assert.equal(v.recovered, 1);
    } finally {
      v.view.stop();
    }
  });
});

test('a damaged or foreign object is reported and ignored: the last good view stays in force', async () => {
  await fixture(async ({ westDir, originDir, view }) => {
    await writeFile(join(westDir, CONTROL_TENANTS_KEY), doc('acme'));
    const v = view();
    await v.view.start();
    try {
      for (const bad of [
        '{"format":"claas.tenants/1","tenants":[],"__proto__":{"x":1}}',
        '{"format":"other/1","tenants":[]}',
        'not json',
      ]) {
        await writeFile(join(westDir, CONTROL_TENANTS_KEY), bad);
        await writeFile(join(originDir, CONTROL_TENANTS_KEY), bad);
        await v.view.refresh();
        assert.deepEqual(
          v.view.current()?.map((t) => t.name),
          ['acme'],
        );
        assert.equal(v.view.status().stale, true);
        assert.equal(v.view.status().lastError?.kind, 'damaged');
      }
      assert.deepEqual(v.changes, [['acme']], 'a damaged object never became the view');
      // A damaged nearest copy with a good one further down the list: the good one is used.
      await writeFile(join(originDir, CONTROL_TENANTS_KEY), doc('acme', 'globex'));
      await v.view.refresh();
      assert.equal(v.view.status().source, 'origin');
      assert.equal(v.view.status().stale, false);
      assert.equal(v.view.status().lastError?.kind, 'damaged');
    } finally {
      v.view.stop();
    }
  });
});

test('no start without a first view; an empty view when every store answers and none has tenants yet', async () => {
  await fixture(async ({ west, origin, westDir, view }) => {
    west.down = true;
    origin.down = true;
    const v = view();
    await assert.rejects(
      v.view.start(),
      (e) => isClaasError(e, 'UNREACHABLE') && /no tenants to serve/.test(e.message),
    );
    assert.equal(v.view.status().ready, false);

    await writeFile(join(westDir, CONTROL_TENANTS_KEY), 'damaged');
    west.down = false;
    const d = view();
    await assert.rejects(d.view.start(), (e) => isClaasError(e, 'BAD_INPUT'));

    await unlink(join(westDir, CONTROL_TENANTS_KEY));
    origin.down = false;
    const e = view();
    await e.view.start();
    try {
      assert.deepEqual(e.view.current(), []);
      assert.equal(e.view.status().source, null);
      await e.view.refresh();
      assert.equal(e.view.status().stale, false, 'still nothing added: not stale');
      await writeFile(join(westDir, CONTROL_TENANTS_KEY), doc('acme'));
      await e.view.refresh();
      assert.deepEqual(e.changes, [[], ['acme']]);
      // Once there were tenants, a store list where none has the object any more is a problem, not "no tenants".
      await unlink(join(westDir, CONTROL_TENANTS_KEY));
      await e.view.refresh();
      assert.deepEqual(
        e.view.current()?.map((t) => t.name),
        ['acme'],
      );
      assert.equal(e.view.status().lastError?.kind, 'missing');
      assert.equal(e.view.status().stale, true);
    } finally {
      e.view.stop();
    }
  });
});

test('a store that hangs does not stop the refreshes: it is skipped after the attempt timeout', async () => {
  await fixture(async ({ origin, originDir }) => {
    await writeFile(join(originDir, CONTROL_TENANTS_KEY), doc('acme'));
    const hanging = Object.create(origin) as ObjectStore;
    hanging.head = () => new Promise(() => undefined);
    const problems: ViewProblem[] = [];
    const view = new TenantView(
      [
        { name: 'west', store: hanging },
        { name: 'origin', store: origin },
      ],
      {
        refreshMs: 30_000,
        attemptTimeoutMs: 50,
        onChange: () => undefined,
        onProblem: (p) => problems.push(p),
      },
    );
    await view.start();
    try {
      assert.equal(view.status().source, 'origin');
      assert.equal(problems[0]?.kind, 'unreachable');
      assert.match(problems[0]?.message ?? '', /did not answer within 0\.05 s/);
    } finally {
      view.stop();
    }
  });
});

test('activity: hostile objects are ignored; each gateway writes its own, reads the others, sums them', async () => {
  const good = activityDocument(
    'gw-b',
    0,
    1_000,
    new Map([
      ['acme', { bytes: 10, requests: 2, lastSeen: 900, versions: { templates: { version: 3, at: 900 } } }],
    ]),
  );
  assert.equal(parseActivity(JSON.stringify(good))?.tenants.get('acme')?.bytes, 10);
  for (const bad of [
    'nope',
    JSON.stringify({ ...good, format: 'x' }),
    JSON.stringify({ ...good, extra: 1 }),
    JSON.stringify({ ...good, tenants: [{ ...good.tenants[0], name: '__proto__' }] }),
    JSON.stringify({ ...good, tenants: [{ ...good.tenants[0], bytes: -1 }] }),
    '{"format":"claas.tenant-activity/1","__proto__":{"polluted":1}}',
  ]) {
    assert.equal(parseActivity(bad), undefined, bad.slice(0, 80));
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const sum = addRecords(
    { bytes: 1, requests: 1, lastSeen: 5, versions: { t: { version: 2, at: 5 } } },
    { bytes: 2, requests: 3, lastSeen: 9, versions: { t: { version: 3, at: 9 }, u: { version: 1, at: 1 } } },
  );
  assert.deepEqual(sum, {
    bytes: 3,
    requests: 4,
    lastSeen: 9,
    versions: { t: { version: 3, at: 9 }, u: { version: 1, at: 1 } },
  });

  const dir = await mkdtemp(join(tmpdir(), 'claas-activity-'));
  try {
    const store = new FsStore(dir);
    await writeFile(join(dir, 'x'), '');
    await store.put(activityKey('gw-b'), { kind: 'bytes', data: Buffer.from(JSON.stringify(good)) });
    await store.put(activityKey('gw-c'), { kind: 'bytes', data: Buffer.from('{"broken":') });
    // This gateway's own earlier object: its counts continue from there.
    const before = activityDocument(
      'gw-a',
      0,
      500,
      new Map([['acme', { bytes: 100, requests: 1, lastSeen: 400, versions: {} }]]),
    );
    await store.put(activityKey('gw-a'), { kind: 'bytes', data: Buffer.from(JSON.stringify(before)) });
    const activity = new TenantActivity(() => 2_000);
    activity.record('acme', 5, { status: 200, library: 'templates', version: 4 });
    const share = new ActivityShare({
      id: 'gw-a',
      activity,
      writeStore: store,
      readStore: () => store,
      periodMs: 60_000,
    });
    await share.tick();
    const gws = share.gateways();
    assert.deepEqual(
      gws.map((g) => g.id),
      ['gw-a', 'gw-b'],
    );
    assert.equal(gws[0]!.tenants.get('acme')?.bytes, 105);
    assert.equal(gws[0]!.tenants.get('acme')?.versions.templates?.version, 4);
    assert.equal(share.status().unreadable, 1);
    const written = parseActivity((await store.readBytes(activityKey('gw-a')))!.toString());
    assert.equal(written?.tenants.get('acme')?.bytes, 105);
    assert.equal(written?.tenants.get('acme')?.requests, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
