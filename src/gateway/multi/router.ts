// The gateway's request handler: /healthz and /metrics, then Basic authentication of a tenant (throttled
// per client address and per password key id), then `/<library>/<key>` served from the library's replicas
// by the VCSP core (handler.ts serveKey: Range, HEAD, ETag, Last-Modified, backpressure). A library the
// tenant was not granted gets exactly the 404 of a library that does not exist, before any store is asked.
// Every request ends in one access log entry, which never holds the Authorization header or a password.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isClaasError } from '../../errors.js';
import { WWW_AUTHENTICATE } from '../../vcsp/basic-auth.js';
import { sendBody, sendJson, sendStatus, serveKey } from '../handler.js';
import type { AccessLogEntry, Served, VcspHandler } from '../handler.js';
import { keyForRequest, MAX_URL_BYTES } from '../request-path.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { METRICS_CONTENT_TYPE } from '../../util/prometheus.js';
import { redirectDownload } from './redirect.js';
import type { LibraryReplicas, LibraryView } from './replicas.js';
import { parseCredentials } from './tenant-auth.js';
import type { TenantAuthenticator } from './tenant-auth.js';
import type { FailureThrottle } from './throttle.js';
import type { TenantRecord } from './tenants.js';
import { serveApi } from '../admin/api.js';
import type { AdminContext } from '../admin/api.js';
import type { TenantActivity } from '../admin/tenant-activity.js';
import type { ActivityShare } from '../admin/activity-share.js';
import type { TenantView, TenantViewStatus } from './tenant-view.js';
import { serveUiAsset } from '../admin/ui-assets.js';
import type { UiAsset } from '../admin/ui-assets.js';

/** One request, as the access log records it: the VCSP core's entry plus who, what and from where. */
export interface GatewayAccessEntry extends AccessLogEntry {
  tenant?: string;
  library?: string;
  /** The item folder a file or item.json belongs to. */
  item?: string;
  replica?: string;
  /** The version lib.json was served as. */
  version?: number;
  /** An administrator's request (dashboard, API). */
  admin?: boolean;
}

/** What the handler reads on every request; the gateway swaps its parts on reload. */
export interface GatewayContext {
  libraries: Map<string, LibraryReplicas>;
  auth: TenantAuthenticator;
  clientThrottle: FailureThrottle;
  tenantThrottle: FailureThrottle;
  metrics: GatewayMetrics;
  /** SHA-256 of "admin:<password>" for /metrics and the dashboard; undefined: /metrics only from loopback
   * addresses, no dashboard. */
  adminDigest?: Buffer;
  /** What each tenant fetched since the gateway started. */
  activity: TenantActivity;
  /** Tenants kept in the store: the view they come from, and where activity is shared. */
  tenantView?: TenantView;
  share?: ActivityShare;
  /** The dashboard at /ui/ and its API at /api/ (docs/api.md); undefined: off. */
  dashboard?: { api: AdminContext; assets: Map<string, UiAsset> };
  onRequest?: (e: GatewayAccessEntry) => void;
}

const MAX_LOGGED_PATH = 1024;

/** The client address as one key: IPv4-mapped IPv6 addresses as plain IPv4. */
export function clientKey(address: string | undefined): string {
  const a = address ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

export function adminDigest(password: string): Buffer {
  return createHash('sha256').update(`admin:${password}`, 'utf8').digest();
}

function basicDigest(header: string | undefined): Buffer {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header ?? '');
  const given = m === null ? '' : Buffer.from(m[1]!, 'base64').toString('utf8');
  return createHash('sha256').update(given, 'utf8').digest();
}

function retryAfter(ms: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))) };
}

/**
 * /healthz: 200 when every library is served from some replica; each replica's reachability; with the
 * tenants in the store, the tenant view (its source, age, last error), "degraded" while it is stale.
 */
export function healthDoc(
  libraries: Iterable<LibraryReplicas>,
  tenants?: TenantViewStatus,
): { status: number; doc: unknown } {
  const replicas: Record<string, boolean> = {};
  let served = 0;
  let total = 0;
  let allUp = true;
  for (const lib of libraries) {
    total += 1;
    if (lib.chosen() !== undefined) served += 1;
    for (const r of lib.replicas) {
      const up = r.reachable === true;
      if (!up) allUp = false;
      replicas[r.name] = (replicas[r.name] ?? true) && up;
    }
  }
  const ok = served === total;
  const fresh = tenants === undefined || !tenants.stale;
  return {
    status: ok ? 200 : 503,
    doc: {
      status: !ok ? 'unavailable' : allUp && fresh ? 'ok' : 'degraded',
      libraries: { served, total },
      replicas,
      ...(tenants === undefined ? {} : { tenants }),
    },
  };
}

export function createGatewayHandler(ctx: GatewayContext): VcspHandler {
  return (req, res) => {
    const started = performance.now();
    const entry: GatewayAccessEntry = {
      method: req.method ?? '',
      path: '',
      status: 0,
      bytes: 0,
      ms: 0,
      remote: clientKey(req.socket.remoteAddress), // read now: a closed socket no longer knows it
    };
    const served: Served & { view?: LibraryView } = { bytes: 0 };
    ctx.metrics.inFlight.inc();
    res.once('close', () => {
      ctx.metrics.inFlight.inc({}, -1);
      const raw = req.url ?? '';
      const cut = raw.search(/[?#]/);
      entry.path = (cut < 0 ? raw : raw.slice(0, cut)).slice(0, MAX_LOGGED_PATH);
      entry.status = res.statusCode;
      // Answers made in memory (statuses, JSON, /metrics) are counted by their Content-Length.
      const length = Number(res.getHeader('content-length') ?? 0);
      entry.bytes =
        served.bytes > 0 || req.method === 'HEAD' || !res.writableFinished || !Number.isSafeInteger(length)
          ? served.bytes
          : length;
      entry.ms = Math.round(performance.now() - started);
      if (served.error !== undefined) entry.error = served.error;
      // Read now: a streamed response closes before the handler's own code after it runs.
      if (served.view?.replica !== undefined) entry.replica = served.view.replica;
      if (served.view?.version !== undefined) entry.version = served.view.version;
      ctx.metrics.requests.inc({ code: String(res.statusCode) });
      if (entry.tenant !== undefined) ctx.activity.record(entry.tenant, entry.bytes, entry);
      if (entry.tenant !== undefined && entry.library !== undefined && entry.bytes > 0) {
        ctx.metrics.bytes.inc(
          { tenant: entry.tenant, library: entry.library, replica: entry.replica ?? '' },
          entry.bytes,
        );
      }
      try {
        ctx.onRequest?.(entry);
      } catch {
        // A failing logger must not take the server down.
      }
    });
    route(ctx, req, res, entry, served).catch((e: unknown) => {
      served.error = e instanceof Error ? e.message : String(e);
      if (res.headersSent) {
        res.destroy();
      } else if (isClaasError(e, 'NOT_FOUND')) {
        sendStatus(req, res, 404);
      } else if (isClaasError(e, 'UNREACHABLE')) {
        sendStatus(req, res, 503, retryAfter(5_000));
      } else {
        sendStatus(req, res, 500);
      }
    });
  };
}

async function route(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: GatewayAccessEntry,
  served: Served & { view?: LibraryView },
): Promise<void> {
  const raw = req.url ?? '/';
  if (Buffer.byteLength(raw, 'utf8') > MAX_URL_BYTES) return sendStatus(req, res, 414);
  const cut = raw.search(/[?#]/);
  const path = cut < 0 ? raw : raw.slice(0, cut);
  const readOnly = req.method === 'GET' || req.method === 'HEAD';

  if (path === '/healthz') {
    if (!readOnly) return sendStatus(req, res, 405, { Allow: 'GET, HEAD' });
    const h = healthDoc(ctx.libraries.values(), ctx.tenantView?.status());
    return sendJson(req, res, h.status, h.doc);
  }
  if (path === '/metrics') return metrics(ctx, req, res, entry);
  if (path === '/ui' || path.startsWith('/ui/') || path === '/api' || path.startsWith('/api/')) {
    return dashboard(ctx, req, res, entry, path, cut < 0 ? '' : raw.slice(cut + 1));
  }

  const creds = parseCredentials(req.headers.authorization);
  if (creds.kind === 'none') return sendStatus(req, res, 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
  const client = entry.remote;
  let tenant: TenantRecord | undefined;
  if (creds.kind === 'malformed') {
    const wait = ctx.clientThrottle.retryAfterMs(client);
    if (wait > 0) {
      ctx.metrics.throttled.inc({ scope: 'client' });
      return sendStatus(req, res, 429, retryAfter(wait));
    }
    ctx.clientThrottle.fail(client);
    ctx.metrics.authFailures.inc({ reason: 'malformed' });
    return sendStatus(req, res, 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
  }
  tenant = ctx.auth.remembered(creds);
  if (tenant === undefined) {
    const byClient = ctx.clientThrottle.retryAfterMs(client);
    const byTenant = ctx.tenantThrottle.retryAfterMs(creds.keyId);
    if (byClient > 0 || byTenant > 0) {
      ctx.metrics.throttled.inc({ scope: byClient > 0 ? 'client' : 'tenant' });
      return sendStatus(req, res, 429, retryAfter(Math.max(byClient, byTenant)));
    }
    const result = await ctx.auth.verify(creds);
    if (res.destroyed) return;
    if (!result.ok) {
      if (result.reason === 'busy') return sendStatus(req, res, 503, retryAfter(1_000));
      ctx.clientThrottle.fail(client);
      ctx.tenantThrottle.fail(creds.keyId);
      ctx.metrics.authFailures.inc({ reason: 'bad_password' });
      return sendStatus(req, res, 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
    }
    tenant = result.tenant;
  }
  entry.tenant = tenant.name;
  if (!readOnly) return sendStatus(req, res, 405, { Allow: 'GET, HEAD' });

  // The library is the first path segment, compared as sent (library names need no encoding).
  const name = path.split('/')[1] ?? '';
  const lib = tenant.libraries.includes(name) ? ctx.libraries.get(name) : undefined;
  if (lib === undefined) return sendStatus(req, res, 404);
  entry.library = name;
  const target = keyForRequest(raw, `/${name}`);
  if ('status' in target) return sendStatus(req, res, target.status);
  const slash = target.key.indexOf('/');
  if (slash > 0) entry.item = target.key.slice(0, slash);
  await lib.settled(); // only this library's first probes, never another library's
  if (res.destroyed) return;
  served.view = lib.view();
  if (await redirectDownload(served.view, target.key, req, res)) return; // gateway.redirect: a 302 to the store
  await serveKey(served.view, target.key, req, res, served);
}

/**
 * Checks the admin password (user "admin"), throttled like tenants' passwords; answers 429 or 401 itself
 * and returns false when the request may not go on.
 */
function adminAuthorized(
  ctx: GatewayContext,
  digest: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
  entry: GatewayAccessEntry,
): boolean {
  const wait = ctx.clientThrottle.retryAfterMs(entry.remote);
  if (wait > 0) {
    ctx.metrics.throttled.inc({ scope: 'client' });
    sendStatus(req, res, 429, retryAfter(wait));
    return false;
  }
  if (timingSafeEqual(basicDigest(req.headers.authorization), digest)) return true;
  if (req.headers.authorization !== undefined) {
    ctx.clientThrottle.fail(entry.remote);
    ctx.metrics.authFailures.inc({ reason: 'admin' });
  }
  sendStatus(req, res, 401, { 'WWW-Authenticate': ADMIN_AUTHENTICATE });
  return false;
}

const ADMIN_AUTHENTICATE = 'Basic realm="claas admin"';

function metrics(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: GatewayAccessEntry,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendStatus(req, res, 405, { Allow: 'GET, HEAD' });
  if (ctx.adminDigest === undefined) {
    if (!isLoopback(entry.remote)) return sendStatus(req, res, 404);
  } else if (!adminAuthorized(ctx, ctx.adminDigest, req, res, entry)) {
    return;
  }
  const body = Buffer.from(ctx.metrics.render());
  sendBody(
    req,
    res,
    200,
    {
      'Content-Type': METRICS_CONTENT_TYPE,
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
    },
    body,
  );
}

/** /ui/ (the dashboard's files) and /api/ (its JSON API): admin only; 404 when no admin password is set. */
async function dashboard(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: GatewayAccessEntry,
  path: string,
  query: string,
): Promise<void> {
  const board = ctx.dashboard;
  if (board === undefined || ctx.adminDigest === undefined) return sendStatus(req, res, 404);
  if (!adminAuthorized(ctx, ctx.adminDigest, req, res, entry)) return;
  entry.admin = true;
  if (path.startsWith('/api')) return serveApi(board.api, path, new URLSearchParams(query), req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendStatus(req, res, 405, { Allow: 'GET, HEAD' });
  serveUiAsset(board.assets, path, req, res);
}
