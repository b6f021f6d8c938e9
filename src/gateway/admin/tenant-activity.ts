// What each tenant fetched through this gateway: bytes, requests, last request, and per library the last
// lib.json version served and when. Fed by the gateway's access log entries; memory is one small record per
// tenant name (and library) the tenants have had. With the tenants in the store, a base read back from this
// gateway's own activity object (activity-share.ts) carries the counts across restarts.

export interface LibraryFetch {
  /** The lib.json version last served to the tenant. */
  version: number;
  /** ms since the epoch. */
  at: number;
}

export interface TenantActivityRecord {
  bytes: number;
  requests: number;
  /** ms since the epoch (0: never). */
  lastSeen: number;
  /** By library: the last lib.json version served. */
  versions: Record<string, LibraryFetch>;
}

/** What a request adds: the access log entry's fields. */
export interface ServedRequest {
  status?: number;
  library?: string;
  /** The version lib.json was served as (only lib.json requests have one). */
  version?: number;
}

export function emptyRecord(): TenantActivityRecord {
  return { bytes: 0, requests: 0, lastSeen: 0, versions: {} };
}

/** a + b: counts summed, the later lastSeen, per library the later fetch. */
export function addRecords(a: TenantActivityRecord, b: TenantActivityRecord): TenantActivityRecord {
  const versions: Record<string, LibraryFetch> = { ...a.versions };
  for (const [lib, f] of Object.entries(b.versions)) {
    const mine = versions[lib];
    if (mine === undefined || f.at > mine.at) versions[lib] = { ...f };
  }
  return {
    bytes: a.bytes + b.bytes,
    requests: a.requests + b.requests,
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
    versions,
  };
}

export class TenantActivity {
  readonly startedAt: number;
  private readonly byTenant = new Map<string, TenantActivityRecord>();
  private base = new Map<string, TenantActivityRecord>();

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  record(tenant: string, bytes: number, served: ServedRequest = {}): void {
    const r = this.byTenant.get(tenant) ?? emptyRecord();
    r.bytes += bytes;
    r.requests += 1;
    r.lastSeen = this.now();
    if (served.library !== undefined && served.version !== undefined && served.status === 200) {
      r.versions[served.library] = { version: served.version, at: r.lastSeen };
    }
    this.byTenant.set(tenant, r);
  }

  /** Counts this gateway had before it started (its own activity object), added to what it counts now. */
  setBase(base: Map<string, TenantActivityRecord>): void {
    this.base = base;
  }

  get(tenant: string): TenantActivityRecord | undefined {
    const now = this.byTenant.get(tenant);
    const before = this.base.get(tenant);
    if (before === undefined) return now;
    return now === undefined ? before : addRecords(before, now);
  }

  /** Every tenant's record (base included), by name. */
  all(): Map<string, TenantActivityRecord> {
    const names = new Set([...this.base.keys(), ...this.byTenant.keys()]);
    return new Map([...names].map((n) => [n, this.get(n)!]));
  }
}
