// The multi-library, multi-tenant gateway: every library at /<library>/lib.json, each served from its
// nearest consistent replica (replicas.ts), tenants authenticated by password (tenant-auth.ts), with
// throttling, metrics, an access log, reload without restart and graceful shutdown. It keeps no state of
// its own beyond memory: N gateways behind a load balancer share only the configuration and the stores.
// With the tenants in the store (`control`), the tenants come from a refreshing view of the control prefix
// (tenant-view.ts) and each gateway shares its per-tenant activity there (admin/activity-share.ts).

import { ClaasError } from '../../errors.js';
import { listenVcsp } from '../vcsp-server.js';
import type { ListenOptions, VcspServer } from '../vcsp-server.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { LibraryReplicas } from './replicas.js';
import type { LibraryReplicasOptions, ReplicaEvent, ReplicaSource } from './replicas.js';
import { adminDigest, createGatewayHandler } from './router.js';
import type { GatewayAccessEntry, GatewayContext } from './router.js';
import { TenantAuthenticator } from './tenant-auth.js';
import type { TenantAuthOptions } from './tenant-auth.js';
import { FailureThrottle } from './throttle.js';
import type { ThrottleOptions } from './throttle.js';
import type { TenantRecord } from './tenants.js';
import type { ObjectStore } from '../../store/types.js';
import type { AdminContext } from '../admin/api.js';
import { AuditFeed } from '../admin/audit-feed.js';
import { ReplicaMatrix } from '../admin/replica-matrix.js';
import type { MatrixOptions, MatrixSource } from '../admin/replica-matrix.js';
import type { RunSourcesProvider } from '../admin/run-sources.js';
import { TenantActivity } from '../admin/tenant-activity.js';
import { ActivityShare } from '../admin/activity-share.js';
import type { ActivityShareOptions } from '../admin/activity-share.js';
import type { TenantView } from './tenant-view.js';
import { loadUiAssets } from '../admin/ui-assets.js';

export interface GatewayLibrary {
  name: string;
  /** Replicas nearest first. `id` identifies a replica's store across reloads (location, endpoint, credentials). */
  replicas: (ReplicaSource & { id?: string })[];
}

export interface GatewayOptions extends ListenOptions {
  libraries: GatewayLibrary[];
  tenants: TenantRecord[];
  /** Password for /metrics (user "admin"); without it /metrics answers loopback clients only. */
  adminPassword?: string;
  replicas?: Omit<LibraryReplicasOptions, 'onEvent'>;
  /** Authentication failures allowed per client address (default 10 per minute) and per key id (30). */
  throttle?: { client?: ThrottleOptions; tenant?: ThrottleOptions };
  auth?: TenantAuthOptions;
  onRequest?: (e: GatewayAccessEntry) => void;
  onEvent?: (e: ReplicaEvent) => void;
  /**
   * The dashboard at /ui/ and its API at /api/ (shown only with adminPassword): each library's configuration
   * and store opener for the replica matrix and the audit log.
   */
  dashboard?: DashboardOptions;
  /** Tenants kept in the store (gateway.tenants: store). */
  control?: ControlOptions;
}

/** The tenants in the store: the view (started, so it has tenants) and where activity is shared. */
export interface ControlOptions {
  view: TenantView;
  /** This gateway's id in the control prefix, given the port it listens on. */
  id: (port: number) => string;
  /** The origin's control prefix with the gateway's credential: activity is written there. */
  writeStore: ObjectStore;
  /** How often activity is written and read (the tenants refresh period). */
  periodMs: number;
  onProblem?: ActivityShareOptions['onProblem'];
}

export interface DashboardOptions extends MatrixOptions {
  sources: MatrixSource[];
  /** claas's version, shown by the dashboard. */
  version: string;
  /** How often the page polls the API (default 5 s). */
  pollSeconds?: number;
  /** Where the dashboard's files are (default: ui/ of the package). */
  uiDir?: string;
  /** Inside `claas run`: the status of its sources, which the dashboard shows beside the replicas. */
  runSources?: RunSourcesProvider;
}

export interface Gateway {
  readonly server: VcspServer;
  /** Subscription URL of each library. */
  urls(): { library: string; url: string }[];
  readonly metrics: GatewayMetrics;
  /** Per-tenant activity shared through the control prefix (tenants in the store only). */
  readonly share: ActivityShare | undefined;
  library(name: string): LibraryReplicas | undefined;
  /** The libraries served now. */
  libraries(): LibraryReplicas[];
  /**
   * Swaps in new tenants, libraries or admin password; a library whose replicas did not change keeps its
   * replica state (and its served-version floor). Returns the stores of the new definitions it did not use
   * (close them) and the stores it stopped using (close them once downloads from them have finished).
   */
  reload(next: {
    tenants?: TenantRecord[];
    libraries?: GatewayLibrary[];
    adminPassword?: string | null;
    /** The dashboard's sources for the new configuration. */
    dashboardSources?: MatrixSource[];
  }): Promise<{ unused: ObjectStore[]; retired: ObjectStore[] }>;
  /** Stops listening, lets transfers in flight finish (at most graceMs), stops probing. */
  shutdown(graceMs: number): Promise<void>;
}

function signature(lib: GatewayLibrary): string {
  return JSON.stringify(lib.replicas.map((r) => [r.name, r.id ?? r.store.display]));
}

function checkLibraries(libraries: GatewayLibrary[]): void {
  const seen = new Set<string>();
  for (const l of libraries) {
    if (seen.has(l.name)) {
      throw new ClaasError('BAD_INPUT', `two configurations name library "${l.name}"`, {
        input: l.name,
        hint: 'each library needs its own name (library: in claas.yaml): it is the first segment of its URL',
      });
    }
    seen.add(l.name);
    if (l.replicas.length === 0) {
      throw new ClaasError('BAD_INPUT', `library "${l.name}" has no replica to serve from`, {
        input: l.name,
        hint: 'list replica names (or origin) in gateway.prefer',
      });
    }
  }
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  checkLibraries(o.libraries);
  // Libraries are probed in parallel and served as soon as they can be: one whose store is slow or hostile
  // holds up neither the others' probes nor their requests (the router waits only for the library asked).
  const makeLibrary = (l: GatewayLibrary): [LibraryReplicas, string] => [
    new LibraryReplicas(l.name, l.replicas, {
      ...o.replicas,
      ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
    }),
    signature(l),
  ];
  const built = o.libraries.map(makeLibrary);
  const firstProbes = Promise.all(built.map(([lr]) => lr.start()));
  const signatures = new Map<string, string>();
  const libraries = new Map<string, LibraryReplicas>();
  for (const [lr, sig] of built) {
    libraries.set(lr.library, lr);
    signatures.set(lr.library, sig);
  }
  const auth = new TenantAuthenticator(o.tenants, o.auth);
  const assets = o.dashboard === undefined ? undefined : await loadUiAssets(o.dashboard.uiDir);
  const view = o.control?.view;
  const ctx: GatewayContext = {
    activity: new TenantActivity(),
    libraries,
    auth,
    ...(view === undefined ? {} : { tenantView: view }),
    clientThrottle: new FailureThrottle({ limit: 10, windowMs: 60_000, ...o.throttle?.client }),
    tenantThrottle: new FailureThrottle({ limit: 30, windowMs: 60_000, ...o.throttle?.tenant }),
    metrics: new GatewayMetrics({
      libraries: () => ctx.libraries.values(),
      tenantCount: () => ctx.auth.tenantCount,
      ...(view === undefined ? {} : { tenantView: () => view.status() }),
    }),
    ...(o.adminPassword === undefined ? {} : { adminDigest: adminDigest(o.adminPassword) }),
    ...(o.onRequest === undefined ? {} : { onRequest: o.onRequest }),
  };
  let server: VcspServer;
  try {
    server = await listenVcsp(createGatewayHandler(ctx), o);
  } catch (e) {
    for (const lr of libraries.values()) lr.stop();
    throw e;
  }
  await firstProbes;
  const base = server.url.replace(/\/lib\.json$/, '');
  const c = o.control;
  const share =
    c === undefined
      ? undefined
      : new ActivityShare({
          id: c.id(server.port),
          activity: ctx.activity,
          writeStore: c.writeStore,
          readStore: () => c.view.currentSource()?.store,
          periodMs: c.periodMs,
          ...(c.onProblem === undefined ? {} : { onProblem: c.onProblem }),
        });
  if (share !== undefined) ctx.share = share;
  share?.start();
  if (o.dashboard !== undefined && assets !== undefined) {
    const d = o.dashboard;
    const api: AdminContext = {
      get libraries() {
        return ctx.libraries;
      },
      auth: ctx.auth,
      activity: ctx.activity,
      ...(view === undefined ? {} : { tenantView: view }),
      ...(share === undefined ? {} : { share }),
      matrix: new ReplicaMatrix(d.sources, d),
      audit: new AuditFeed(d.sources, d),
      version: d.version,
      refreshSeconds: d.pollSeconds ?? 5,
      urlOf: (library) => `${base}/${library}/lib.json`,
      ...(d.runSources === undefined ? {} : { runSources: d.runSources }),
    };
    ctx.dashboard = { api, assets };
  }

  return {
    server,
    metrics: ctx.metrics,
    share,
    urls: () => [...ctx.libraries.keys()].map((library) => ({ library, url: `${base}/${library}/lib.json` })),
    library: (name) => ctx.libraries.get(name),
    libraries: () => [...ctx.libraries.values()],
    async reload(next) {
      const unused: ObjectStore[] = [];
      const retired: ObjectStore[] = [];
      if (next.tenants !== undefined) ctx.auth.setTenants(next.tenants);
      if (next.adminPassword === null) delete ctx.adminDigest;
      else if (next.adminPassword !== undefined) ctx.adminDigest = adminDigest(next.adminPassword);
      if (next.dashboardSources !== undefined && ctx.dashboard !== undefined) {
        ctx.dashboard.api.matrix.setSources(next.dashboardSources);
        ctx.dashboard.api.audit.setSources(next.dashboardSources);
      }
      if (next.libraries === undefined) return { unused, retired };
      checkLibraries(next.libraries);
      const fresh = new Map<string, LibraryReplicas>();
      const starting: Promise<void>[] = [];
      for (const l of next.libraries) {
        const old = ctx.libraries.get(l.name);
        if (old !== undefined && signatures.get(l.name) === signature(l)) {
          fresh.set(l.name, old);
          unused.push(...l.replicas.map((r) => r.store));
          continue;
        }
        const [lr, sig] = makeLibrary(l);
        starting.push(lr.start());
        fresh.set(l.name, lr);
        signatures.set(l.name, sig);
      }
      await Promise.all(starting); // in parallel: a slow new library does not delay the others
      const previous = ctx.libraries;
      ctx.libraries = fresh;
      for (const [name, lr] of previous) {
        if (fresh.get(name) === lr) continue;
        lr.stop();
        retired.push(...lr.replicas.map((r) => r.store));
        if (!fresh.has(name)) signatures.delete(name);
      }
      return { unused, retired };
    },
    async shutdown(graceMs) {
      view?.stop();
      await server.drain(graceMs);
      for (const lr of ctx.libraries.values()) lr.stop();
      await share?.stop();
    },
  };
}
