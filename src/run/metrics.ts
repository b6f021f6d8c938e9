// `claas run`'s Prometheus metrics, computed from the service status at each scrape: polls and poll errors,
// changes applied, items pending deletion and seconds since the last successful poll per source; bytes
// moved, role and origin version per library; replica state and lag; VM templates (vmtx) a source holds
// that cannot travel over VCSP, counted and named. Label values are escaped by the shared writer.

import { MetricsRegistry } from '../util/prometheus.js';
import type { ReplicaHealth, ServiceStatus } from './types.js';

export { METRICS_CONTENT_TYPE } from '../util/prometheus.js';

/** Every replica state, so that claas_run_replica_state has one series per state (1 for the current one). */
const REPLICA_STATES: readonly ReplicaHealth[] = ['consistent', 'lagging', 'broken', 'empty', 'unknown'];

const seconds = (fromIso: string | undefined, now: Date): number | undefined => {
  const t = fromIso === undefined ? NaN : Date.parse(fromIso);
  return Number.isNaN(t) ? undefined : Math.max(0, (now.getTime() - t) / 1000);
};

/** The metric families, registered in the order /metrics lists them. */
function families(r: MetricsRegistry) {
  return {
    polls: r.counter('claas_run_polls_total', 'Polls of a source, by library and source.'),
    pollErrors: r.counter(
      'claas_run_poll_errors_total',
      'Polls of a source that failed (listing error, timeout, empty listing refused).',
    ),
    changes: r.counter(
      'claas_run_changes_applied_total',
      'Changes at a source published as a library version, by library and source.',
    ),
    pending: r.gauge(
      'claas_run_items_pending',
      'Items gone from a source that stay in the library until the next poll confirms they are gone.',
    ),
    sinceSync: r.gauge(
      'claas_run_seconds_since_last_sync',
      'Seconds since the last successful poll of a source (since the service started when none succeeded).',
    ),
    sourceUp: r.gauge('claas_run_source_up', "1 when the source's last poll succeeded."),
    vmtx: r.gauge(
      'claas_run_vmtx_items',
      'VM templates (vmtx) a vCenter source holds that cannot travel over VCSP and are not copied.',
    ),
    vmtxItem: r.gauge(
      'claas_run_vmtx_item',
      'One series per VM template (vmtx) not copied, named by the item label: clone it as an OVF template.',
    ),
    bytes: r.counter('claas_run_bytes_moved_total', 'Bytes uploaded or copied for a library.'),
    active: r.gauge('claas_run_active', '1 when this process publishes the library, 0 while it is standby.'),
    origin: r.gauge('claas_run_origin_version', "The origin's library version, as this process last saw it."),
    replicaState: r.gauge(
      'claas_run_replica_state',
      'Replica state (consistent, lagging, broken, empty, unknown): 1 for the current state, 0 for the others.',
    ),
    replicaLag: r.gauge(
      'claas_run_replica_lag_seconds',
      'Seconds a replica is behind the origin (0 when consistent).',
    ),
  };
}

/** The Prometheus text exposition of a service status; `now` dates the "seconds since" gauges. */
export function renderRunMetrics(status: ServiceStatus, now: Date = new Date()): string {
  const registry = new MetricsRegistry();
  const f = families(registry);
  for (const lib of status.libraries) {
    const library = lib.library;
    f.bytes.inc({ library }, lib.bytesMoved);
    f.active.set({ library }, lib.role === 'active' ? 1 : 0);
    if (lib.originVersion !== undefined) f.origin.set({ library }, lib.originVersion);
    for (const s of lib.sources) {
      const labels = { library, source: s.source };
      f.polls.inc(labels, s.polls);
      f.pollErrors.inc(labels, s.pollErrors ?? 0);
      f.changes.inc(labels, s.changesApplied);
      f.pending.set(labels, s.itemsPending);
      const since = seconds(s.lastSuccessAt, now) ?? seconds(status.startedAt, now);
      if (since !== undefined) f.sinceSync.set(labels, since);
      if (s.polls > 0) f.sourceUp.set(labels, sourceFailing(s) ? 0 : 1);
      f.vmtx.set(labels, s.vmtx.length);
      for (const item of s.vmtx) f.vmtxItem.set({ ...labels, item }, 1);
    }
    for (const rep of lib.replicas) {
      const labels = { library, replica: rep.name };
      for (const state of REPLICA_STATES)
        f.replicaState.set({ ...labels, state }, rep.state === state ? 1 : 0);
      f.replicaLag.set(labels, rep.lagSeconds ?? 0);
    }
  }
  return registry.render();
}

/** True when a problem is newer than the last success (or there never was one). */
export function failingSince(
  lastError: { at: string } | undefined,
  lastSuccessAt: string | undefined,
): boolean {
  if (lastError === undefined) return false;
  if (lastSuccessAt === undefined) return true;
  return Date.parse(lastError.at) >= Date.parse(lastSuccessAt);
}

function sourceFailing(s: { lastError?: { at: string }; lastSuccessAt?: string }): boolean {
  return failingSince(s.lastError, s.lastSuccessAt);
}
