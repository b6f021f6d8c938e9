// One page of a library's items for the dashboard, from the version snapshot the gateway serves now:
// filtered by a name substring, sorted, cut to offset/limit. The rows of a snapshot are computed once per
// version (a 5,000-item library costs one pass, then only the sort and slice of each request).

import type { ItemJson, VersionSnapshot } from '../../vcsp/types.js';

export interface ItemRow {
  name: string;
  id: string;
  type: 'ovf' | 'iso' | 'other';
  size: number;
  files: number;
  version: number;
  changed: string;
}

export const ITEM_SORTS = ['name', 'type', 'size', 'version', 'changed'] as const;
export type ItemSort = (typeof ITEM_SORTS)[number];

export interface ItemQuery {
  offset: number;
  limit: number;
  q: string;
  sort: ItemSort;
  order: 'asc' | 'desc';
}

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

/** generationNum is the second the item's current version was published (claas; make_vcsp: its creation). */
function changedAt(item: ItemJson): string {
  const gen = Math.max(0, ...item.files.map((f) => f.generationNum));
  // Generation numbers of other writers may be counters, not times: only a plausible time is used.
  if (gen > 946_684_800 && gen < 32_503_680_000) return new Date(gen * 1000).toISOString();
  return item.created;
}

export function itemRow(item: ItemJson): ItemRow {
  const type = item.type === 'vcsp.ovf' ? 'ovf' : item.type === 'vcsp.iso' ? 'iso' : 'other';
  const version = Number(item.version);
  return {
    name: item.name,
    id: item.id,
    type,
    size: item.files.reduce((n, f) => n + f.size, 0),
    files: item.files.length,
    version: Number.isSafeInteger(version) ? version : 0,
    changed: changedAt(item),
  };
}

const rowsCache = new WeakMap<VersionSnapshot, ItemRow[]>();

export function snapshotRows(snapshot: VersionSnapshot): ItemRow[] {
  let rows = rowsCache.get(snapshot);
  if (rows === undefined) {
    rows = snapshot.items.map(itemRow);
    rowsCache.set(snapshot, rows);
  }
  return rows;
}

function compare(a: ItemRow, b: ItemRow, sort: ItemSort): number {
  const byName = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  if (sort === 'name') return byName;
  const x = a[sort];
  const y = b[sort];
  const c = x < y ? -1 : x > y ? 1 : 0;
  return c !== 0 ? c : byName;
}

export function itemsPage(rows: ItemRow[], q: ItemQuery): { total: number; items: ItemRow[] } {
  const needle = q.q.toLowerCase();
  const matching = needle === '' ? rows.slice() : rows.filter((r) => r.name.toLowerCase().includes(needle));
  matching.sort((a, b) => (q.order === 'desc' ? -1 : 1) * compare(a, b, q.sort));
  return { total: matching.length, items: matching.slice(q.offset, q.offset + q.limit) };
}

/** Reads offset/limit/q/sort/order from a query string; a value out of range is an error message. */
export function parseItemQuery(params: URLSearchParams): ItemQuery | string {
  const int = (name: string, dflt: number, min: number, max: number): number | string => {
    const raw = params.get(name);
    if (raw === null || raw === '') return dflt;
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max)
      return `${name} must be an integer from ${min} to ${max}`;
    return Number(raw);
  };
  const offset = int('offset', 0, 0, 1e9 - 1);
  if (typeof offset === 'string') return offset;
  const limit = int('limit', DEFAULT_PAGE, 1, MAX_PAGE);
  if (typeof limit === 'string') return limit;
  const sort = params.get('sort') ?? 'name';
  if (!(ITEM_SORTS as readonly string[]).includes(sort))
    return `sort must be one of ${ITEM_SORTS.join(', ')}`;
  const order = params.get('order') ?? 'asc';
  if (order !== 'asc' && order !== 'desc') return 'order must be asc or desc';
  const q = params.get('q') ?? '';
  if (q.length > 200) return 'q must be at most 200 characters';
  return { offset, limit, q, sort: sort as ItemSort, order };
}
