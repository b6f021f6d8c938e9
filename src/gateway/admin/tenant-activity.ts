// What each tenant fetched through this gateway since it started: bytes, requests, last request. Fed by the
// gateway's access log entries; memory is one small record per tenant name the tenants file has had.

export interface TenantActivityRecord {
  bytes: number;
  requests: number;
  /** ms since the epoch. */
  lastSeen: number;
}

export class TenantActivity {
  readonly startedAt: number;
  private readonly byTenant = new Map<string, TenantActivityRecord>();

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  record(tenant: string, bytes: number): void {
    const r = this.byTenant.get(tenant) ?? { bytes: 0, requests: 0, lastSeen: 0 };
    r.bytes += bytes;
    r.requests += 1;
    r.lastSeen = this.now();
    this.byTenant.set(tenant, r);
  }

  get(tenant: string): TenantActivityRecord | undefined {
    return this.byTenant.get(tenant);
  }
}
