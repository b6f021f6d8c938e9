// The dashboard's recent audit events: the newest entries of every library's audit log (src/archive/audit.ts)
// on its origin, read with the gateway's credential, only while someone looks (lazy-refresh.ts), reading
// each immutable entry object once. Entries are reduced to what an administrator scans: time, library,
// action, actor name, version, summary, item changes.

import { readAudit } from '../../publish/audit.js';
import { closeStore } from '../../store/open.js';
import type { AuditCache, StoredAuditEntry } from '../../publish/audit.js';
import { LazyRefresh } from './lazy-refresh.js';
import type { LazyRefreshOptions } from './lazy-refresh.js';
import type { MatrixSource } from './replica-matrix.js';

/** How far back the dashboard looks (two month prefixes of the log at most). */
const WINDOW_MS = 31 * 24 * 3600_000;
const MAX_ITEMS = 20;

export interface AuditEvent {
  at: string;
  library: string;
  action: string;
  actor: string;
  version?: number;
  summary?: string;
  items: { name: string; change: string }[];
  itemsTotal?: number;
}

interface LibraryAudit {
  entries: StoredAuditEntry[];
  unreadable: number;
}

export function auditEvent(library: string, e: StoredAuditEntry): AuditEvent {
  const items = (e.items ?? []).map((i) => ({ name: i.name, change: i.change }));
  return {
    at: e.at,
    library,
    action: e.action,
    actor: e.actor.name,
    ...(e.library?.version === undefined ? {} : { version: e.library.version }),
    ...(e.summary === undefined ? {} : { summary: e.summary }),
    items: items.slice(0, MAX_ITEMS),
    ...(items.length > MAX_ITEMS ? { itemsTotal: items.length } : {}),
  };
}

export class AuditFeed {
  private feeds = new Map<string, LazyRefresh<LibraryAudit>>();

  constructor(
    sources: MatrixSource[],
    private readonly o: LazyRefreshOptions = {},
  ) {
    this.setSources(sources);
  }

  setSources(sources: MatrixSource[]): void {
    const next = new Map<string, LazyRefresh<LibraryAudit>>();
    for (const s of sources) {
      const cache: AuditCache = new Map();
      next.set(
        s.library,
        new LazyRefresh(async () => {
          const store = await s.open(s.config.origin.name);
          try {
            const now = new Date((this.o.now ?? Date.now)());
            const r = await readAudit(store, { since: new Date(now.getTime() - WINDOW_MS) }, now, cache);
            return { entries: r.entries, unreadable: r.unreadable.length };
          } finally {
            closeStore(store);
          }
        }, this.o),
      );
    }
    this.feeds = next;
  }

  /** The newest `limit` events of these libraries, newest first; errors per library. */
  async read(
    libraries: string[],
    limit: number,
  ): Promise<{ entries: AuditEvent[]; unreadable: number; errors: { library: string; error: string }[] }> {
    const names = libraries.filter((l) => this.feeds.has(l));
    const results = await LazyRefresh.readAll(names.map((l) => this.feeds.get(l)!));
    const all: { event: AuditEvent; key: string }[] = [];
    const errors: { library: string; error: string }[] = [];
    let unreadable = 0;
    results.forEach((r, i) => {
      const library = names[i]!;
      if (r.error !== undefined) errors.push({ library, error: r.error });
      unreadable += r.value?.unreadable ?? 0;
      for (const e of r.value?.entries ?? []) all.push({ event: auditEvent(library, e), key: e.key });
    });
    all.sort((a, b) => Date.parse(b.event.at) - Date.parse(a.event.at) || (a.key < b.key ? 1 : -1));
    return { entries: all.slice(0, limit).map((x) => x.event), unreadable, errors };
  }
}
