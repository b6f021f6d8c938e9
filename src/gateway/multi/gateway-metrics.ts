// The gateway's metrics: bytes served per tenant, library and replica; requests by status; authentication
// failures and throttling; and, computed at scrape time from the replica probes, each replica's
// reachability, newest complete version and lag (versions and seconds behind the newest known version);
// with the tenants in the store, the age of the tenant view and whether it is stale.

import { MetricsRegistry } from '../../util/prometheus.js';
import type { Counter, Gauge } from '../../util/prometheus.js';
import type { LibraryReplicas } from './replicas.js';
import type { TenantViewStatus } from './tenant-view.js';

export class GatewayMetrics {
  readonly registry = new MetricsRegistry();
  readonly bytes: Counter;
  readonly requests: Counter;
  readonly authFailures: Counter;
  readonly throttled: Counter;
  readonly inFlight: Gauge;
  private readonly up: Gauge;
  private readonly complete: Gauge;
  private readonly libVersion: Gauge;
  private readonly lagVersions: Gauge;
  private readonly lagSeconds: Gauge;
  private readonly served: Gauge;
  private readonly tenants: Gauge;
  private readonly viewAge: Gauge;
  private readonly viewStale: Gauge;

  constructor(state: {
    libraries(): Iterable<LibraryReplicas>;
    tenantCount(): number;
    tenantView?: () => TenantViewStatus;
  }) {
    const r = this.registry;
    this.bytes = r.counter(
      'claas_gateway_bytes_served_total',
      'Body bytes sent, by tenant, library and replica.',
    );
    this.requests = r.counter('claas_gateway_requests_total', 'Requests answered, by HTTP status code.');
    this.authFailures = r.counter(
      'claas_gateway_auth_failures_total',
      'Refused credentials, by reason (malformed, bad_password, admin).',
    );
    this.throttled = r.counter(
      'claas_gateway_throttled_total',
      'Requests refused with 429 after repeated authentication failures, by scope (client, tenant).',
    );
    this.inFlight = r.gauge('claas_gateway_requests_in_flight', 'Requests being answered now.');
    this.up = r.gauge('claas_gateway_replica_up', '1 when the last probe of the replica succeeded.');
    this.complete = r.gauge(
      'claas_gateway_replica_complete_version',
      'Newest library version complete at the replica (0: none).',
    );
    this.libVersion = r.gauge(
      'claas_gateway_replica_lib_version',
      "Version the replica's own lib.json names (ahead of complete_version while files are still arriving).",
    );
    this.lagVersions = r.gauge(
      'claas_gateway_replica_lag_versions',
      'Versions the replica is behind the newest version any replica names.',
    );
    this.lagSeconds = r.gauge(
      'claas_gateway_replica_lag_seconds',
      'Seconds since the first version the replica lacks was committed (0 when up to date).',
    );
    this.served = r.gauge(
      'claas_gateway_served_version',
      'The library version lib.json is served as, labelled with the replica it is served from.',
    );
    this.tenants = r.gauge('claas_gateway_tenants', 'Tenants in the tenants file.');
    this.viewAge = r.gauge(
      'claas_gateway_tenant_view_age_seconds',
      'Seconds since the tenants kept in the store were last read, labelled with the store read (tenants: store only).',
    );
    this.viewStale = r.gauge(
      'claas_gateway_tenant_view_stale',
      '1 while the tenants in the store cannot be read and the last good view is served (tenants: store only).',
    );
    r.onCollect(() => {
      for (const g of [
        this.up,
        this.complete,
        this.libVersion,
        this.lagVersions,
        this.lagSeconds,
        this.served,
      ]) {
        g.clear();
      }
      for (const lib of state.libraries()) {
        for (const rep of lib.replicas) {
          const labels = { library: lib.library, replica: rep.name };
          this.up.set(labels, rep.reachable === true ? 1 : 0);
          this.complete.set(labels, rep.complete?.version ?? 0);
          if (rep.libVersion !== undefined) this.libVersion.set(labels, rep.libVersion);
          const lag = lib.lag(rep);
          if (lag !== undefined) {
            this.lagVersions.set(labels, lag.versions);
            this.lagSeconds.set(labels, Math.round(lag.seconds * 1000) / 1000);
          }
        }
        const chosen = lib.chosen();
        if (chosen !== undefined) {
          this.served.set({ library: lib.library, replica: chosen.replica.name }, chosen.version);
        }
      }
      this.tenants.set({}, state.tenantCount());
      const view = state.tenantView?.();
      this.viewAge.clear();
      this.viewStale.clear();
      if (view !== undefined && view.ageSeconds !== null) {
        this.viewAge.set({ source: view.source ?? '' }, view.ageSeconds);
        this.viewStale.set({}, view.stale ? 1 : 0);
      }
    });
  }

  render(): string {
    return this.registry.render();
  }
}
