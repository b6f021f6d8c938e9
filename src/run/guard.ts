// The deletion guard of `claas run`, pure (no I/O, like planNextVersion): from one source's latest poll and
// the items the library holds from that source, which items go into the next version, which are gone for
// the first time (pending: kept until the next poll confirms), which are confirmed gone and may be removed,
// and why a listing is not applied at all (failed, timed out, empty) or its removals are held (maxDelete).
// What it must remember between steps (how many consecutive polls an item has been absent) is in a
// GuardMemory the caller keeps; a poll is counted once, however many steps look at it.
//
// Attribution (attributeItems): an item of the library belongs to the first source whose latest good listing
// names it. Items no source names are kept as they are while any source has no good listing (they may be
// that source's); once every source has one, they count as the first source's items, absent from it, so
// they are removed after two polls like any other item that source dropped, within its maxDelete.

import { ClaasError } from '../errors.js';
import type { MaxDelete } from '../config/schema.js';
import type { GuardVerdict, PollOutcome, SourceListing } from './types.js';

/** Polls an item must be absent in, one after the other, before it is removed. */
export const CONFIRMING_POLLS = 2;

export interface GuardMemory {
  /** Per source name: item name -> consecutive polls absent. */
  absent: Map<string, Map<string, number>>;
  /** Per source name: the outcome last counted, so that a step that sees the same poll again counts nothing. */
  counted: Map<string, PollOutcome>;
  /** Per source name: the item names of its latest good listing (attribution while its polls fail). */
  listed: Map<string, string[]>;
}

export function newGuardMemory(): GuardMemory {
  return { absent: new Map(), counted: new Map(), listed: new Map() };
}

/** How many of `held` items one step may remove. */
export function deleteLimit(maxDelete: MaxDelete, held: number): number {
  if ('count' in maxDelete) return maxDelete.count;
  return Math.floor((maxDelete.percent * held) / 100 + 1e-9);
}

function describeLimit(maxDelete: MaxDelete): string {
  return 'count' in maxDelete ? `${maxDelete.count}` : `${maxDelete.percent}%`;
}

/** Keeps everything this source holds in the library, for `reason`. */
function held(libraryItems: readonly string[], reason: string): GuardVerdict {
  return { keep: [...libraryItems], pending: [], remove: [], held: reason };
}

/**
 * The verdict on one source's latest poll. Updates `memory` (absence counts of this source); nothing else.
 * libraryItems: the items of the library attributed to this source.
 */
export function guardListing(o: {
  source: string;
  outcome: PollOutcome;
  libraryItems: string[];
  memory: GuardMemory;
  maxDelete: MaxDelete;
  allowDelete: boolean;
}): GuardVerdict {
  const { source, outcome, libraryItems, memory } = o;
  if (!outcome.ok) return held(libraryItems, `the listing failed: ${outcome.problem.message}`);
  const listing = outcome.listing;
  if (listing.items.length === 0) {
    if (libraryItems.length === 0) return { keep: [], pending: [], remove: [] };
    return held(
      libraryItems,
      `the listing came back empty; the library keeps its ${libraryItems.length} items from it ` +
        '(an empty source is never applied: remove the items with a one-shot claas publish)',
    );
  }
  const fresh = memory.counted.get(source) !== outcome;
  memory.counted.set(source, outcome);
  memory.listed.set(
    source,
    listing.items.map((i) => i.name),
  );
  const before = memory.absent.get(source) ?? new Map<string, number>();
  const absent = new Map<string, number>();
  const listed = new Set(listing.items.map((i) => i.name));
  for (const name of libraryItems) {
    if (listed.has(name)) continue;
    absent.set(name, Math.max(1, (before.get(name) ?? 0) + (fresh ? 1 : 0)));
  }
  memory.absent.set(source, absent);

  const keep = listing.items.map((i) => i.name);
  const pending = [...absent].filter(([, n]) => n < CONFIRMING_POLLS).map(([name]) => name);
  const confirmed = [...absent].filter(([, n]) => n >= CONFIRMING_POLLS).map(([name]) => name);
  keep.push(...pending);
  const limit = deleteLimit(o.maxDelete, libraryItems.length);
  if (confirmed.length > limit && !o.allowDelete) {
    keep.push(...confirmed);
    return {
      keep,
      pending,
      remove: [],
      held:
        `${confirmed.length} of the ${libraryItems.length} items the library holds from ${source} are gone, ` +
        `more than maxDelete (${describeLimit(o.maxDelete)}) allows in one step: nothing removed; ` +
        'run claas run --allow-delete (or a one-shot claas publish) to confirm',
    };
  }
  return { keep, pending, remove: confirmed };
}

/** Refuses two sources listing the same item name (item names are unique in a library). */
export function checkDistinctNames(listings: readonly Pick<SourceListing, 'source' | 'items'>[]): void {
  const owner = new Map<string, string>();
  for (const listing of listings) {
    for (const item of listing.items) {
      // vCenter and vSphere compare item names without letter case.
      const key = item.name.toLowerCase();
      const other = owner.get(key);
      if (other !== undefined && other !== listing.source) {
        throw new ClaasError(
          'BAD_INPUT',
          `two sources offer an item named "${item.name}": ${other} and ${listing.source}`,
          {
            input: listing.source,
            hint: 'rename the item in one of them, or remove one source from sources:; nothing was published',
          },
        );
      }
      owner.set(key, listing.source);
    }
  }
}

/**
 * Which source each library item belongs to (see the header): per source name, its items; `unattributed`
 * are kept as they are (some source has no good listing yet).
 */
export function attributeItems(o: {
  sources: readonly string[];
  /** Per source: the names of its latest good listing, or undefined when it has none. */
  listed: ReadonlyMap<string, readonly string[] | undefined>;
  /**
   * Per source: the names of the good listing before the latest (GuardMemory.listed before this step). An
   * item a source just dropped stays that source's, so its absence is counted against that source's polls
   * and maxDelete, not another's.
   */
  previous?: ReadonlyMap<string, readonly string[] | undefined>;
  libraryItems: readonly string[];
}): { bySource: Map<string, string[]>; unattributed: string[] } {
  const bySource = new Map<string, string[]>(o.sources.map((s) => [s, []]));
  const owner = new Map<string, string>();
  for (const listed of [o.listed, o.previous ?? new Map<string, undefined>()]) {
    for (const s of o.sources) {
      for (const name of listed.get(s) ?? []) if (!owner.has(name)) owner.set(name, s);
    }
  }
  const orphans: string[] = [];
  for (const name of o.libraryItems) {
    const s = owner.get(name);
    if (s === undefined) orphans.push(name);
    else bySource.get(s)!.push(name);
  }
  const allListed = o.sources.every((s) => o.listed.get(s) !== undefined);
  const first = o.sources[0];
  if (!allListed || first === undefined) return { bySource, unattributed: orphans };
  bySource.get(first)!.push(...orphans);
  return { bySource, unattributed: [] };
}
