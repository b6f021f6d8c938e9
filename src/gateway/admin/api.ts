// The gateway's admin JSON API (docs/api.md): GET /api/overview, /api/libraries/<library>/items,
// /api/replicas, /api/tenants, /api/audit. Read-only; the caller (router.ts) has checked the admin
// password. Every answer is built from explicit fields: no tenant hash, store credential or password can
// reach it by accident.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../handler.js';
import type { LibraryReplicas } from '../multi/replicas.js';
import type { TenantAuthenticator } from '../multi/tenant-auth.js';
import type { AuditFeed } from './audit-feed.js';
import { itemsPage, parseItemQuery, snapshotRows } from './items-page.js';
import type { ReplicaMatrix } from './replica-matrix.js';
import { runSourcesView } from './run-sources.js';
import type { RunSourcesProvider } from './run-sources.js';
import type { TenantActivity } from './tenant-activity.js';
import type { ActivityShare } from './activity-share.js';
import type { TenantView } from '../multi/tenant-view.js';
import { tenantsDoc } from './tenants-doc.js';

/** What the API reads; the gateway swaps libraries and tenants on reload. */
export interface AdminContext {
  libraries: Map<string, LibraryReplicas>;
  auth: TenantAuthenticator;
  matrix: ReplicaMatrix;
  audit: AuditFeed;
  activity: TenantActivity;
  /** Tenants kept in the store: the view, and the activity of every gateway. */
  tenantView?: TenantView;
  share?: ActivityShare;
  version: string;
  /** Subscription URL of a library. */
  urlOf(library: string): string;
  refreshSeconds: number;
  /** Inside `claas run`: its sources, shown beside the replicas (overview.sources). */
  runSources?: RunSourcesProvider;
}

const DEFAULT_AUDIT = 50;
const MAX_AUDIT = 500;

function apiError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  hint?: string,
): void {
  sendJson(req, res, status, { error: { code, message, ...(hint === undefined ? {} : { hint }) } });
}

const iso = (ms: number): string => new Date(ms).toISOString();

function libraryOverview(ctx: AdminContext, lib: LibraryReplicas): Record<string, unknown> {
  const chosen = lib.chosen();
  const snapshot = chosen?.replica.complete?.snapshot;
  const rows = snapshot === undefined ? [] : snapshotRows(snapshot);
  return {
    name: lib.library,
    url: ctx.urlOf(lib.library),
    servedVersion: chosen?.version ?? null,
    servedFrom: chosen?.replica.name ?? null,
    committedAt: snapshot?.committedAt ?? null,
    items: rows.length,
    bytes: rows.reduce((n, r) => n + r.size, 0),
  };
}

function overview(ctx: AdminContext): unknown {
  return {
    generatedAt: new Date().toISOString(),
    gateway: {
      version: ctx.version,
      startedAt: iso(ctx.activity.startedAt),
      refreshSeconds: ctx.refreshSeconds,
    },
    libraries: [...ctx.libraries.values()].map((l) => libraryOverview(ctx, l)),
    tenants: ctx.auth.tenantCount,
    ...(ctx.runSources === undefined ? {} : { sources: runSourcesView(ctx.runSources) }),
  };
}

function items(
  ctx: AdminContext,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  query: URLSearchParams,
): void {
  const lib = ctx.libraries.get(name);
  if (lib === undefined) {
    return apiError(
      req,
      res,
      404,
      'NOT_FOUND',
      `no library named "${name}"`,
      'GET /api/overview lists the libraries',
    );
  }
  const q = parseItemQuery(query);
  if (typeof q === 'string') return apiError(req, res, 400, 'BAD_INPUT', q);
  const chosen = lib.chosen();
  const snapshot = chosen?.replica.complete?.snapshot;
  if (chosen === undefined || snapshot === undefined) {
    return apiError(
      req,
      res,
      503,
      'UNREACHABLE',
      `library "${name}" has no complete version on any reachable replica yet`,
      'GET /api/replicas shows each replica',
    );
  }
  const page = itemsPage(snapshotRows(snapshot), q);
  sendJson(req, res, 200, {
    library: name,
    version: chosen.version,
    replica: chosen.replica.name,
    total: page.total,
    offset: q.offset,
    limit: q.limit,
    items: page.items,
  });
}

/** ?limit= of /api/audit, or what is wrong with it. */
function auditLimit(raw: string | null): number | string {
  if (raw === null || raw === '') return DEFAULT_AUDIT;
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  return n >= 1 && n <= MAX_AUDIT ? n : `limit must be an integer from 1 to ${MAX_AUDIT}`;
}

/** Answers a request under /api/ (path without the query string). */
export async function serveApi(
  ctx: AdminContext,
  path: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return apiError(req, res, 405, 'BAD_INPUT', `${req.method ?? ''} is not allowed: the API is read-only`);
  }
  if (path === '/api/overview') return sendJson(req, res, 200, overview(ctx));
  if (path === '/api/tenants') return sendJson(req, res, 200, tenantsDoc(ctx));
  if (path === '/api/replicas') {
    return sendJson(req, res, 200, { libraries: await ctx.matrix.read([...ctx.libraries.values()]) });
  }
  if (path === '/api/audit') {
    const limit = auditLimit(query.get('limit'));
    if (typeof limit === 'string') return apiError(req, res, 400, 'BAD_INPUT', limit);
    return sendJson(req, res, 200, await ctx.audit.read([...ctx.libraries.keys()], limit));
  }
  const m = /^\/api\/libraries\/([A-Za-z0-9._-]{1,63})\/items$/.exec(path);
  if (m !== null) return items(ctx, req, res, m[1]!, query);
  return apiError(req, res, 404, 'NOT_FOUND', `no API at ${path.slice(0, 200)}`, 'see docs/api.md');
}
