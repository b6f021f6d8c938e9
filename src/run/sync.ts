// One sync step of `claas run`: the latest poll of every source -> at most one new library version at the
// origin. Steps: read what the origin holds; refuse two sources offering one item name; attribute the
// library's items to sources (guard.ts); judge each source's listing (the deletion guard); read the items
// of sources whose listing changed (only changed items are read again: the folder's hash cache, the import
// record of remote sources) and carry everything else from the origin's current version as stored bytes;
// publish through the engine (nothing is committed when nothing changed) with an audit entry naming every
// source and what it changed; then let remote sources record what they imported.

import { ClaasError } from '../errors.js';
import type { ClaasConfig } from '../config/schema.js';
import type { SourceItem } from '../content/types.js';
import { storedItemOf, storedSourceItem } from '../archive/republish.js';
import { publish } from '../publish/publish.js';
import type { PublishResult } from '../publish/publish.js';
import { readLibraryState } from '../publish/state.js';
import type { LibraryState } from '../publish/state.js';
import type { ObjectStore } from '../store/types.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { attributeItems, checkDistinctNames, guardListing } from './guard.js';
import type { GuardMemory } from './guard.js';
import type { PreparedSource, Source } from './sources/index.js';
import type {
  GuardVerdict,
  PollOutcome,
  RunEvent,
  RunEventSink,
  SourceListing,
  SyncOutcome,
} from './types.js';

export interface SyncOptions {
  config: ClaasConfig;
  origin: ObjectStore;
  sources: Source[];
  /** The latest poll per source name. */
  outcomes: Map<string, PollOutcome>;
  memory: GuardMemory;
  allowDelete: boolean;
  signal: AbortSignal;
  onEvent: RunEventSink;
  now?: () => Date;
}

/** Per source name, the listing token whose items the origin holds (set after a step applied it). */
const appliedTokens = new WeakMap<GuardMemory, Map<string, string>>();

function applied(memory: GuardMemory): Map<string, string> {
  let map = appliedTokens.get(memory);
  if (map === undefined) appliedTokens.set(memory, (map = new Map()));
  return map;
}

/** A usable listing: the poll worked and found something. */
function goodListing(outcome: PollOutcome | undefined): SourceListing | undefined {
  return outcome?.ok === true && outcome.listing.items.length > 0 ? outcome.listing : undefined;
}

/** The library's items as stored content, by name (what a step carries without reading any source). */
function carrier(store: ObjectStore, state: LibraryState): (name: string) => SourceItem | undefined {
  if (state.kind !== 'claas') return () => undefined;
  const byName = new Map(state.snapshot.items.map((i) => [i.name, i]));
  return (name) => {
    const item = byName.get(name);
    if (item === undefined) return undefined;
    const stored = storedItemOf(item, state.snapshot, store, (href) => hrefToKey(href, item.name));
    return storedSourceItem(store, stored, `${store.display} (kept)`);
  };
}

/** What one source contributes to the step. */
interface Plan {
  source: Source;
  verdict: GuardVerdict;
  /** Names to read from the source (its listing changed since it was last applied). */
  read?: ReadonlySet<string>;
  /** Names carried from the origin as they are. */
  carry: string[];
  prepared?: PreparedSource;
  token?: string;
}

const NOT_POLLED: PollOutcome = {
  ok: false,
  problem: { code: 'NOT_POLLED', message: 'not polled yet', at: new Date(0).toISOString() },
};

/** Guards every source's listing and decides, per source, what is read and what is carried. */
function planSources(o: SyncOptions, state: LibraryState): Plan[] {
  const library = o.config.library;
  const libraryItems = state.kind === 'claas' ? state.snapshot.items.map((i) => i.name) : [];
  const inLibrary = new Set(libraryItems);
  const good = new Map(
    o.sources.flatMap((s) => {
      const l = goodListing(o.outcomes.get(s.name));
      return l === undefined ? [] : [[s.name, l] as const];
    }),
  );
  // A source without a listing now is checked by its last good one (its items are still in the library).
  checkDistinctNames(
    o.sources.flatMap((s) => {
      const names = good.has(s.name) ? undefined : o.memory.listed.get(s.name);
      const listing =
        good.get(s.name) ??
        (names && { source: s.name, items: names.map((name) => ({ name, fingerprint: '' })) });
      return listing === undefined ? [] : [listing];
    }),
  );
  const { bySource, unattributed } = attributeItems({
    sources: o.sources.map((s) => s.name),
    listed: new Map(
      o.sources.map((s) => [
        s.name,
        good.get(s.name)?.items.map((i) => i.name) ?? o.memory.listed.get(s.name),
      ]),
    ),
    previous: o.memory.listed,
    libraryItems,
  });
  const plans = o.sources.map((source, i): Plan => {
    const outcome = o.outcomes.get(source.name) ?? NOT_POLLED;
    const verdict = guardListing({
      source: source.name,
      outcome,
      libraryItems: bySource.get(source.name) ?? [],
      memory: o.memory,
      maxDelete: source.config.maxDelete,
      allowDelete: o.allowDelete,
    });
    if (verdict.pending.length > 0) {
      o.onEvent({ type: 'pending-delete', library, source: source.name, items: [...verdict.pending] });
    }
    if (verdict.held !== undefined) o.onEvent(held(library, source.name, verdict.held));
    // Unattributed items are kept with the first source's (they are carried whatever happens).
    const extra = i === 0 ? unattributed : [];
    const listing = good.get(source.name);
    if (listing === undefined) return { source, verdict, carry: [...verdict.keep, ...extra] };
    const listed = new Set(listing.items.map((item) => item.name));
    const wanted = verdict.keep.filter((n) => listed.has(n));
    const carry = [...verdict.keep.filter((n) => !listed.has(n)), ...extra];
    const unchanged = applied(o.memory).get(source.name) === listing.token;
    if (unchanged && wanted.every((n) => inLibrary.has(n))) {
      return { source, verdict, carry: [...carry, ...wanted], token: listing.token };
    }
    return { source, verdict, read: new Set(wanted), carry, token: listing.token };
  });
  return plans;
}

function held(library: string, source: string, reason: string): RunEvent {
  return { type: 'held', library, source, reason };
}

/** Reads the sources whose listing changed; a source that cannot be read is held for this step. */
async function prepareSources(o: SyncOptions, state: LibraryState, plans: Plan[]): Promise<void> {
  for (const p of plans) {
    if (p.read === undefined) continue;
    try {
      p.prepared = await p.source.prepare({ store: o.origin, state, only: p.read, signal: o.signal });
      // An item gone between the poll and the read is not removed by this step: the guard has not seen it go.
      const got = new Set(p.prepared.items.map((i) => i.name));
      p.carry.push(...[...p.read].filter((n) => !got.has(n)));
    } catch (e) {
      if (o.signal.aborted) throw e;
      const reason = `reading its items failed: ${e instanceof Error ? e.message : String(e)}`;
      p.verdict = { ...p.verdict, keep: [...p.verdict.keep, ...p.verdict.remove], remove: [], held: reason };
      p.carry = [...p.carry, ...p.read];
      p.read = undefined;
      p.token = undefined;
      o.onEvent(held(o.config.library, p.source.name, reason));
    }
  }
}

/** The audit details of a step: every source, what it holds in the version and what it changed. */
function auditDetails(plans: Plan[]): Record<string, unknown> {
  return {
    sources: plans.map((p) => ({
      ...p.source.describe(),
      source: p.source.name,
      items: p.verdict.keep.length,
      read: p.prepared?.read ?? [],
      removed: p.verdict.remove,
      pending: p.verdict.pending,
      ...(p.verdict.held === undefined ? {} : { held: p.verdict.held }),
    })),
  };
}

/** The items of the next version: read ones first, then carried ones (first of a name wins). */
function mergeItems(plans: Plan[], carried: (name: string) => SourceItem | undefined): SourceItem[] {
  const items = new Map<string, SourceItem>();
  for (const p of plans)
    for (const item of p.prepared?.items ?? []) if (!items.has(item.name)) items.set(item.name, item);
  for (const p of plans) {
    for (const name of p.carry) {
      if (items.has(name)) continue;
      const item = carried(name);
      if (item !== undefined) items.set(name, item);
    }
  }
  return [...items.values()];
}

function changesOf(result: PublishResult): { added: string[]; changed: string[]; removed: string[] } {
  const of = (kind: string) => result.changes.filter((c) => c.kind === kind).map((c) => c.name);
  return { added: of('added'), changed: of('changed'), removed: of('removed') };
}

/** One step: the latest polls -> at most one new version at the origin (see the header). */
export async function syncLibrary(o: SyncOptions): Promise<SyncOutcome> {
  const store = o.origin;
  // No sources is not "every item gone": nothing is applied.
  if (o.sources.length === 0) return { bytes: 0, verdicts: {} };
  const state = await readLibraryState(store);
  if (state.kind === 'foreign') {
    throw new ClaasError('NOT_A_LIBRARY', `${store.display} holds a library that claas did not write`, {
      input: store.display,
      hint: 'take it over once with claas publish --adopt (or claas import ... --adopt), then start claas run',
    });
  }
  const plans = planSources(o, state);
  const verdicts = (): Record<string, GuardVerdict> =>
    Object.fromEntries(plans.map((p) => [p.source.name, p.verdict]));
  try {
    await prepareSources(o, state, plans);
    o.signal.throwIfAborted();
    const items = mergeItems(plans, carrier(store, state));
    if (state.kind === 'empty' && items.length === 0) return { bytes: 0, verdicts: verdicts() };
    const result = await publish(
      { items, defaultName: o.config.library },
      {
        store,
        state,
        signal: o.signal,
        ...(o.now === undefined ? {} : { now: o.now }),
        audit: { action: 'publish', details: auditDetails(plans) },
      },
    );
    for (const p of plans) await p.prepared?.commit();
    for (const p of plans) if (p.token !== undefined) applied(o.memory).set(p.source.name, p.token);
    if (!result.committed) return { bytes: 0, verdicts: verdicts() };
    const changes = changesOf(result);
    const touched = plans.filter(
      (p) =>
        (p.prepared?.read.length ?? 0) > 0 ||
        p.verdict.remove.length > 0 ||
        (p.prepared?.items ?? []).some(
          (i) => changes.added.includes(i.name) || changes.changed.includes(i.name),
        ),
    );
    o.onEvent({
      type: 'published',
      library: o.config.library,
      version: result.library.version,
      sources: (touched.length > 0 ? touched : plans).map((p) => p.source.name),
      ...changes,
      bytes: result.upload.bytes,
    });
    return {
      version: {
        number: result.library.version,
        ...(result.library.previousVersion === undefined ? {} : { previous: result.library.previousVersion }),
        ...changes,
      },
      bytes: result.upload.bytes,
      verdicts: verdicts(),
    };
  } finally {
    for (const p of plans) await p.prepared?.cleanup().catch(() => undefined);
  }
}
