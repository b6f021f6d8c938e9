// The audit log stored with the library: one immutable object per entry under .claas/audit/, so writers
// never read-modify-write a shared document and concurrent writers cannot lose each other's entries (each
// PUT creates a new key: time + 64 random bits). Readers list the prefix and sort by time, then key.
//
//   .claas/audit/<YYYY-MM>/<YYYYMMDDTHHMMSS.mmmZ>-<16 hex>.json
//
// Month folders let `claas audit --since` list only the months it needs. Garbage collection never deletes
// anything under .claas/, so entries stay for the life of the library (use S3 Object Lock on the bucket to
// make them tamper-proof; see docs/archives.md).

import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '../store/types.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import { ClaasError } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import { resolveActor } from './identity.js';
import type { Actor } from './identity.js';

export const AUDIT_PREFIX = '.claas/audit/';
export const AUDIT_FORMAT = 'claas.audit/1';

/** What happened. Other modules may log other actions; these are the ones claas writes. */
export type AuditAction =
  | 'publish' // a new library version from a source (items added, changed or removed)
  | 'adopt' // a library another tool wrote taken over in place
  | 'rollback' // an item's old content published as a new version
  | 'restore' // an archived version published again, or copied into a new location
  | 'import' // a new version imported from a vCenter or VCSP source
  | 'replication' // replication configuration applied
  | 'mirror' // a mirror replica brought to a version
  | 'gc' // superseded files deleted
  | 'archive' // a version copied to an archive location
  | 'retain' // versions marked to be kept (or released)
  | 'lifecycle'; // bucket lifecycle rules applied

export interface AuditFile {
  name: string;
  size: number;
  sha256: string;
}

export interface AuditItem {
  name: string;
  id?: string;
  change: 'added' | 'changed' | 'removed' | 'unchanged';
  fromVersion?: number;
  toVersion?: number;
  /** The files of the new item version (added/changed items). */
  files?: AuditFile[];
}

export interface AuditEntry {
  format: typeof AUDIT_FORMAT;
  /** UTC ISO-8601 time of the action (when it was committed). */
  at: string;
  action: AuditAction | (string & {});
  actor: Actor;
  library?: { id: string; name: string; version: number; previousVersion?: number };
  items?: AuditItem[];
  /** One line for people. */
  summary?: string;
  /** Action-specific facts (archive id and manifest hash, replica, rules, deleted keys...). */
  details?: Record<string, unknown>;
}

export interface StoredAuditEntry extends AuditEntry {
  /** The object key of the entry (relative to the library root). */
  key: string;
}

/** What callers pass: format and time are filled in, the actor is resolved from the store when omitted. */
export type AuditInput = Omit<AuditEntry, 'format' | 'at' | 'actor'> & { at?: string | Date; actor?: Actor };

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** 20260115T101502.123Z: sorts like the time it names, and is safe in any file system. */
export function compactTime(d: Date): string {
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`
  );
}

function monthPrefix(d: Date): string {
  return `${AUDIT_PREFIX}${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}/`;
}

export function auditKey(at: Date, random: string = randomBytes(8).toString('hex')): string {
  return `${monthPrefix(at)}${compactTime(at)}-${random}.json`;
}

function toDate(value: string | Date | undefined): Date {
  const d = value === undefined ? new Date() : new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new ClaasError('INTERNAL', `audit entry time ${String(value)} is invalid`);
  return d;
}

/**
 * Appends one entry to the library's audit log: a new object, never an overwrite. Safe from any number of
 * concurrent writers (on S3 and local folders alike). Returns the entry as stored.
 */
export async function appendAudit(store: ObjectStore, input: AuditInput): Promise<StoredAuditEntry> {
  const at = toDate(input.at);
  const actor = input.actor ?? (await resolveActor(store));
  const { at: _at, actor: _actor, ...rest } = input;
  const entry: AuditEntry = { format: AUDIT_FORMAT, at: at.toISOString(), ...rest, actor };
  const key = auditKey(at);
  await store.put(
    key,
    { kind: 'bytes', data: Buffer.from(`${JSON.stringify(entry, null, 2)}\n`) },
    { contentType: 'application/json', role: 'metadata' },
  );
  return { ...entry, key };
}

/** The entry for a committed library version, built from its snapshot and the publish plan's changes. */
export function versionAuditEntry(o: {
  action: AuditAction;
  snapshot: VersionSnapshot;
  previousVersion?: number;
  changes: { name: string; kind: AuditItem['change']; fromVersion?: number; toVersion?: number }[];
  actor?: Actor;
  summary?: string;
  details?: Record<string, unknown>;
}): AuditInput {
  const s = o.snapshot;
  const byName = new Map(s.items.map((i) => [i.name, i]));
  const items: AuditItem[] = o.changes
    .filter((c) => c.kind !== 'unchanged')
    .map((c) => {
      const item = byName.get(c.name);
      const files =
        c.kind === 'removed' || item === undefined
          ? undefined
          : item.files.map((f) => ({
              name: f.name,
              size: f.size,
              sha256: (f.hrefs[0] === undefined ? undefined : s.hashes[f.hrefs[0]]) ?? '',
            }));
      return {
        name: c.name,
        ...(item === undefined ? {} : { id: item.id }),
        change: c.kind,
        ...(c.fromVersion === undefined ? {} : { fromVersion: c.fromVersion }),
        ...(c.toVersion === undefined ? {} : { toVersion: c.toVersion }),
        ...(files === undefined ? {} : { files }),
      };
    });
  const counts = { added: 0, changed: 0, removed: 0 };
  for (const i of items) if (i.change !== 'unchanged') counts[i.change] += 1;
  return {
    at: s.committedAt,
    action: o.action,
    ...(o.actor === undefined ? {} : { actor: o.actor }),
    library: {
      id: s.lib.id,
      name: s.lib.name,
      version: Number(s.lib.version),
      ...(o.previousVersion === undefined ? {} : { previousVersion: o.previousVersion }),
    },
    items,
    summary:
      o.summary ??
      `${o.action} library version ${s.lib.version}: ${counts.added} added, ${counts.changed} changed, ${counts.removed} removed`,
    ...(o.details === undefined ? {} : { details: o.details }),
  };
}

export interface AuditQuery {
  /** Only entries at or after this time. */
  since?: Date;
  /** Only entries naming this item. */
  item?: string;
  /** Only these actions. */
  actions?: string[];
  /** Only entries for this library version. */
  libraryVersion?: number;
}

export interface AuditReadResult {
  entries: StoredAuditEntry[];
  /** Objects under the audit prefix that are not valid entries (damaged or foreign): never ignored silently. */
  unreadable: { key: string; problem: string }[];
}

/** Oldest first: by time, then by key (entries written in the same millisecond keep a stable order). */
export function compareAudit(a: { at: string; key: string }, b: { at: string; key: string }): number {
  const t = Date.parse(a.at) - Date.parse(b.at);
  if (t !== 0 && !Number.isNaN(t)) return t;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The month prefixes from `since` to now, or the whole log when that would be many lists. */
function prefixesSince(since: Date | undefined, now: Date): string[] {
  if (since === undefined || since.getTime() > now.getTime()) return [AUDIT_PREFIX];
  const months: string[] = [];
  const d = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), 1));
  while (d.getTime() <= now.getTime()) {
    months.push(monthPrefix(d));
    if (months.length > 36) return [AUDIT_PREFIX];
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return months;
}

function parseEntry(text: string): AuditEntry | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  const d = doc as Partial<AuditEntry>;
  if (d === null || typeof d !== 'object' || d.format !== AUDIT_FORMAT) return `not a ${AUDIT_FORMAT} entry`;
  if (typeof d.at !== 'string' || Number.isNaN(Date.parse(d.at))) return 'no valid "at" time';
  if (typeof d.action !== 'string') return 'no "action"';
  if (d.actor === undefined || typeof d.actor.name !== 'string') return 'no "actor"';
  return d as AuditEntry;
}

function matches(e: StoredAuditEntry, q: AuditQuery): boolean {
  if (q.since !== undefined && Date.parse(e.at) < q.since.getTime()) return false;
  if (q.actions !== undefined && !q.actions.includes(e.action)) return false;
  if (q.libraryVersion !== undefined && e.library?.version !== q.libraryVersion) return false;
  if (q.item !== undefined) {
    const named = (e.items ?? []).some((i) => i.name === q.item);
    const inDetails = e.details?.item === q.item;
    if (!named && !inDetails) return false;
  }
  return true;
}

/**
 * Parsed entries by key, kept between reads by a long-running reader (the gateway's dashboard): entries are
 * immutable objects, so a key read once is never read again.
 */
export type AuditCache = Map<string, StoredAuditEntry | { key: string; problem: string }>;

/** Reads the audit log (filtered), oldest first. */
export async function readAudit(
  store: ObjectStore,
  query: AuditQuery = {},
  now: Date = new Date(),
  cache?: AuditCache,
): Promise<AuditReadResult> {
  const keys: string[] = [];
  for (const prefix of prefixesSince(query.since, now)) {
    for await (const obj of store.list(prefix)) if (obj.key.endsWith('.json')) keys.push(obj.key);
  }
  const unreadable: AuditReadResult['unreadable'] = [];
  const loaded = await mapLimited(keys, 16, async (key) => {
    let known = cache?.get(key);
    if (known === undefined) {
      const bytes = await store.readBytes(key);
      if (bytes === undefined) return undefined; // deleted between list and read
      const parsed = parseEntry(bytes.toString('utf8'));
      known = typeof parsed === 'string' ? { key, problem: parsed } : { ...parsed, key };
      cache?.set(key, known);
    }
    if ('problem' in known) {
      unreadable.push(known);
      return undefined;
    }
    return known;
  });
  if (cache !== undefined) {
    const listed = new Set(keys);
    for (const key of cache.keys()) if (!listed.has(key)) cache.delete(key);
  }
  const entries = loaded
    .filter((e): e is StoredAuditEntry => e !== undefined && matches(e, query))
    .sort(compareAudit);
  unreadable.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { entries, unreadable };
}

/** The library version -> entries that committed it (publish, rollback, restore, import, adopt). */
export function entriesByVersion(entries: StoredAuditEntry[]): Map<number, StoredAuditEntry[]> {
  const committing = new Set(['publish', 'adopt', 'rollback', 'restore', 'import']);
  const map = new Map<number, StoredAuditEntry[]>();
  for (const e of entries) {
    if (!committing.has(e.action) || e.library === undefined) continue;
    const list = map.get(e.library.version) ?? [];
    list.push(e);
    map.set(e.library.version, list);
  }
  return map;
}
