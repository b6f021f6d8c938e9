// The deletion guard of `claas run` (src/run/guard.ts), table-driven over sequences of polls: an item gone
// from a source is pending on the first poll without it and removed on the second; a failed, timed-out or
// empty listing is held; maxDelete (count and percent) holds removals unless allowDelete; the same poll
// seen by two steps counts once; two sources offering one name are refused; attribution of unlisted items.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attributeItems,
  checkDistinctNames,
  deleteLimit,
  guardListing,
  newGuardMemory,
} from '../../../src/run/guard.js';
import type { MaxDelete } from '../../../src/config/schema.js';
import { isClaasError } from '../../../src/errors.js';
import type { GuardVerdict, PollOutcome, SourceListing } from '../../../src/run/types.js';

const S = '/srv/templates';

function listing(names: string[], source = S): SourceListing {
  const items = names.map((name) => ({ name, fingerprint: `fp-${name}` }));
  return { source, kind: 'folder', items, vmtx: [], requests: 0, token: names.join(',') };
}

const ok = (names: string[]): PollOutcome => ({ ok: true, listing: listing(names) });
const failed: PollOutcome = {
  ok: false,
  problem: { code: 'UNREACHABLE', message: 'connection refused', at: '2026-01-01T00:00:00Z' },
};

interface Step {
  poll: PollOutcome;
  /** Items the library holds from the source before this step. */
  library: string[];
  expect: Partial<Omit<GuardVerdict, 'held'>> & { held?: RegExp | undefined };
}

interface Case {
  name: string;
  maxDelete?: MaxDelete;
  allowDelete?: boolean;
  steps: Step[];
}

const half: MaxDelete = { percent: 50 };
const abcd = ['a', 'b', 'c', 'd'];

const cases: Case[] = [
  {
    name: 'an item gone is pending on the first poll without it, removed on the second',
    steps: [
      { poll: ok(abcd), library: abcd, expect: { keep: abcd, pending: [], remove: [] } },
      { poll: ok(['a', 'b', 'c']), library: abcd, expect: { keep: abcd, pending: ['d'], remove: [] } },
      {
        poll: ok(['a', 'b', 'c']),
        library: abcd,
        expect: { keep: ['a', 'b', 'c'], pending: [], remove: ['d'] },
      },
    ],
  },
  {
    name: 'an item that comes back before the confirming poll is kept and its count starts again',
    steps: [
      { poll: ok(['a', 'b', 'c']), library: abcd, expect: { pending: ['d'], remove: [] } },
      { poll: ok(abcd), library: abcd, expect: { keep: abcd, pending: [], remove: [] } },
      { poll: ok(['a', 'b', 'c']), library: abcd, expect: { pending: ['d'], remove: [] } },
    ],
  },
  {
    name: 'a failed listing is held: every item of the source stays, nothing counts',
    steps: [
      { poll: ok(['a', 'b', 'c']), library: abcd, expect: { pending: ['d'] } },
      {
        poll: failed,
        library: abcd,
        expect: { keep: abcd, pending: [], remove: [], held: /connection refused/ },
      },
      // The failed poll did not confirm anything; this one does.
      { poll: ok(['a', 'b', 'c']), library: abcd, expect: { remove: ['d'] } },
    ],
  },
  {
    name: 'an empty listing is held (never applied)',
    steps: [{ poll: ok([]), library: abcd, expect: { keep: abcd, remove: [], pending: [], held: /empty/ } }],
  },
  {
    name: 'an empty listing of a source the library holds nothing from is not a problem',
    steps: [{ poll: ok([]), library: [], expect: { keep: [], remove: [], pending: [], held: undefined } }],
  },
  {
    name: 'maxDelete 50%: 3 of 4 gone is held, with the reason',
    maxDelete: half,
    steps: [
      { poll: ok(['a']), library: abcd, expect: { pending: ['b', 'c', 'd'], remove: [] } },
      {
        poll: ok(['a']),
        library: abcd,
        expect: { keep: abcd, pending: [], remove: [], held: /3 of the 4 items .* maxDelete \(50%\)/ },
      },
    ],
  },
  {
    name: 'maxDelete 50%: 2 of 4 gone is within it',
    maxDelete: half,
    steps: [
      { poll: ok(['a', 'b']), library: abcd, expect: { pending: ['c', 'd'] } },
      {
        poll: ok(['a', 'b']),
        library: abcd,
        expect: { keep: ['a', 'b'], remove: ['c', 'd'], held: undefined },
      },
    ],
  },
  {
    name: 'maxDelete as a count: 1 allows one removal, not two',
    maxDelete: { count: 1 },
    steps: [
      { poll: ok(['a', 'b']), library: abcd, expect: { pending: ['c', 'd'] } },
      { poll: ok(['a', 'b']), library: abcd, expect: { remove: [], held: /maxDelete \(1\)/ } },
    ],
  },
  {
    name: 'allowDelete confirms a removal above maxDelete',
    maxDelete: { count: 1 },
    allowDelete: true,
    steps: [
      { poll: ok(['a']), library: abcd, expect: { pending: ['b', 'c', 'd'] } },
      { poll: ok(['a']), library: abcd, expect: { keep: ['a'], remove: ['b', 'c', 'd'], held: undefined } },
    ],
  },
  {
    name: 'new items are kept (they are the listing)',
    steps: [{ poll: ok(['a', 'e']), library: ['a'], expect: { keep: ['a', 'e'], pending: [], remove: [] } }],
  },
];

for (const c of cases) {
  test(`guard: ${c.name}`, () => {
    const memory = newGuardMemory();
    for (const [i, step] of c.steps.entries()) {
      const verdict = guardListing({
        source: S,
        outcome: step.poll,
        libraryItems: step.library,
        memory,
        maxDelete: c.maxDelete ?? half,
        allowDelete: c.allowDelete ?? false,
      });
      const { held, ...rest } = step.expect;
      for (const [key, value] of Object.entries(rest)) {
        assert.deepEqual(
          [...(verdict[key as keyof GuardVerdict] as string[])].sort(),
          [...(value as string[])].sort(),
          `step ${i}: ${key}`,
        );
      }
      if ('held' in step.expect) {
        if (held === undefined) assert.equal(verdict.held, undefined, `step ${i}: held`);
        else assert.match(verdict.held ?? '', held, `step ${i}: held`);
      }
    }
  });
}

test('guard: the same poll seen by two steps counts once', () => {
  const memory = newGuardMemory();
  const poll = ok(['a', 'b', 'c']);
  const args = { source: S, libraryItems: abcd, memory, maxDelete: half, allowDelete: false };
  assert.deepEqual(guardListing({ ...args, outcome: poll }).pending, ['d']);
  // Another source's change runs a second step with this source's same (unrepeated) poll.
  const again = guardListing({ ...args, outcome: poll });
  assert.deepEqual(again.pending, ['d']);
  assert.deepEqual(again.remove, []);
  // A new poll with the same listing confirms.
  assert.deepEqual(guardListing({ ...args, outcome: ok(['a', 'b', 'c']) }).remove, ['d']);
});

test('guard: deleteLimit rounds a percentage down', () => {
  assert.equal(deleteLimit({ percent: 50 }, 4), 2);
  assert.equal(deleteLimit({ percent: 50 }, 3), 1);
  assert.equal(deleteLimit({ percent: 50 }, 1), 0);
  assert.equal(deleteLimit({ percent: 100 }, 7), 7);
  assert.equal(deleteLimit({ count: 10 }, 3), 10);
});

test('guard: two sources offering one item name are refused, naming both and the item', () => {
  checkDistinctNames([listing(['a', 'b'], 'one'), listing(['c'], 'two')]);
  assert.throws(
    () => checkDistinctNames([listing(['a', 'Photon'], '/srv/one'), listing(['photon'], 'vc library "x"')]),
    (e: unknown) =>
      isClaasError(e, 'BAD_INPUT') &&
      /"photon"/.test(e.message) &&
      e.message.includes('/srv/one') &&
      e.message.includes('vc library "x"'),
  );
});

test('guard: attribution by listings; unlisted items kept while a source has none, else the first source', () => {
  const sources = ['one', 'two'];
  const libraryItems = ['a', 'b', 'orphan'];
  const partial = attributeItems({
    sources,
    listed: new Map([
      ['one', ['a']],
      ['two', undefined],
    ]),
    libraryItems,
  });
  assert.deepEqual(Object.fromEntries(partial.bySource), { one: ['a'], two: [] });
  assert.deepEqual(partial.unattributed, ['b', 'orphan']);

  const full = attributeItems({
    sources,
    listed: new Map([
      ['one', ['a']],
      ['two', ['b', 'new']],
    ]),
    libraryItems,
  });
  assert.deepEqual(Object.fromEntries(full.bySource), { one: ['a', 'orphan'], two: ['b'] });
  assert.deepEqual(full.unattributed, []);
});

test("guard: an item a source just dropped stays that source's (its polls and maxDelete count, not the first source's)", () => {
  const got = attributeItems({
    sources: ['one', 'two'],
    listed: new Map([
      ['one', ['a']],
      ['two', ['b']],
    ]),
    previous: new Map([
      ['one', ['a']],
      ['two', ['b', 'dropped']],
    ]),
    libraryItems: ['a', 'b', 'dropped', 'orphan'],
  });
  assert.deepEqual(Object.fromEntries(got.bySource), { one: ['a', 'orphan'], two: ['b', 'dropped'] });
});
