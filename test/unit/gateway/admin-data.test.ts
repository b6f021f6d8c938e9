// The dashboard's data helpers without a server: item rows and pages (filter, sort, bounds, query
// parsing) and the lazy refresher (computes only when due, never twice at once, waits only when stale,
// keeps the last value when a computation fails).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemRow, itemsPage, parseItemQuery } from '../../../src/gateway/admin/items-page.js';
import type { ItemRow } from '../../../src/gateway/admin/items-page.js';
import { LazyRefresh } from '../../../src/gateway/admin/lazy-refresh.js';
import type { ItemJson } from '../../../src/vcsp/types.js';

function item(
  name: string,
  over: Partial<ItemJson> = {},
  gens: number[] = [1_700_000_000],
  size = 10,
): ItemJson {
  return {
    created: '2020-01-01T00:00:00.000Z',
    description: '',
    version: '3',
    files: gens.map((g, i) => ({
      name: `f${i}`,
      size,
      etag: 'e',
      generationNum: g,
      hrefs: [`${name}/f${i}`],
    })),
    id: `urn:uuid:${name}`,
    name,
    properties: {},
    selfHref: `${name}/item.json`,
    type: 'vcsp.ovf',
    ...over,
  };
}

test('itemRow: type, total size, file count, version; changed from generationNum when it is a time', () => {
  const r = itemRow(item('a', {}, [1_700_000_000, 1_700_000_100], 5));
  assert.deepEqual(r, {
    name: 'a',
    id: 'urn:uuid:a',
    type: 'ovf',
    size: 10,
    files: 2,
    version: 3,
    changed: new Date(1_700_000_100_000).toISOString(),
  });
  // A counter, not a time (other writers): the item's creation time instead.
  assert.equal(itemRow(item('b', { type: 'vcsp.iso' }, [7])).changed, '2020-01-01T00:00:00.000Z');
  assert.equal(itemRow(item('c', { type: 'vcsp.other', version: 'x' })).version, 0);
  assert.equal(itemRow(item('c', { type: 'vcsp.other' })).type, 'other');
});

test('itemsPage: case-insensitive filter, sort with name as tie-breaker, order, slice', () => {
  const rows: ItemRow[] = ['b', 'A', 'c', 'ab'].map((n, i) => ({
    name: n,
    id: n,
    type: 'other',
    size: i % 2,
    files: 1,
    version: 1,
    changed: '',
  }));
  assert.deepEqual(
    itemsPage(rows, { offset: 0, limit: 10, q: '', sort: 'name', order: 'asc' }).items.map((r) => r.name),
    ['A', 'ab', 'b', 'c'],
  );
  const f = itemsPage(rows, { offset: 0, limit: 10, q: 'A', sort: 'name', order: 'desc' });
  assert.equal(f.total, 2);
  assert.deepEqual(
    f.items.map((r) => r.name),
    ['ab', 'A'],
  );
  const bySize = itemsPage(rows, { offset: 1, limit: 2, q: '', sort: 'size', order: 'asc' });
  assert.equal(bySize.total, 4);
  assert.deepEqual(
    bySize.items.map((r) => r.name),
    ['c', 'A'],
  ); // size 0: b, c; size 1: A, ab
  assert.equal(rows[0]!.name, 'b', 'the cached rows are not reordered');
});

test('parseItemQuery: defaults, bounds, and a message for each bad value', () => {
  assert.deepEqual(parseItemQuery(new URLSearchParams('')), {
    offset: 0,
    limit: 100,
    q: '',
    sort: 'name',
    order: 'asc',
  });
  assert.deepEqual(parseItemQuery(new URLSearchParams('offset=5&limit=500&q=x&sort=changed&order=desc')), {
    offset: 5,
    limit: 500,
    q: 'x',
    sort: 'changed',
    order: 'desc',
  });
  for (const bad of [
    'limit=0',
    'limit=501',
    'limit=1e2',
    'offset=-1',
    'offset=0x10',
    'sort=constructor',
    'order=DESC',
  ]) {
    assert.equal(typeof parseItemQuery(new URLSearchParams(bad)), 'string', bad);
  }
});

test('LazyRefresh: computes when due, never twice at once, waits only for a missing or stale result', async () => {
  let now = 0;
  let calls = 0;
  let release: (() => void) | undefined;
  const r = new LazyRefresh(
    () =>
      new Promise<number>((resolve) => {
        calls += 1;
        release = () => resolve(calls);
      }),
    { refreshMs: 100, firstWaitMs: 50, now: () => now },
  );
  const first = r.poke();
  assert.ok(first !== undefined, 'no result yet: the reader waits');
  assert.equal(r.poke(), first, 'the running computation is joined');
  assert.equal(calls, 1);
  release!();
  await first;
  assert.equal(r.current().value, 1);
  now = 50;
  assert.equal(r.poke(), undefined, 'fresh: nothing to do');
  assert.equal(calls, 1);
  now = 150;
  assert.equal(r.poke(), undefined, 'due but recent: computed in the background, not waited for');
  assert.equal(calls, 2);
  release!();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.current().value, 2);
  now = 1_000;
  // readAll waits at most firstWaitMs for a computation that does not finish.
  const started = Date.now();
  const [res] = await LazyRefresh.readAll([r]);
  assert.ok(Date.now() - started < 5_000);
  assert.equal(calls, 3);
  assert.equal(res!.value, 2, 'the last value while the next is computed');
});

test('LazyRefresh: a failed computation keeps the previous value and says why', async () => {
  let now = 0;
  let fail = false;
  const r = new LazyRefresh(
    async () => {
      if (fail) throw new Error('store unreachable');
      return 'v';
    },
    { refreshMs: 10, now: () => now },
  );
  await r.poke();
  fail = true;
  now = 1_000;
  await r.poke();
  assert.deepEqual(r.current(), { value: 'v', error: 'store unreachable', at: 1_000 });
});
