// `claas run --listen host:port`: a small HTTP server for monitoring. GET /healthz answers the service
// status as JSON, with 200 when every library this process publishes is fine (its sources' last polls
// succeeded, no step failed since the last sync, no replica broken) and 503 otherwise; GET /metrics answers
// Prometheus text (metrics.ts). Read-only, no credentials: bind it to loopback or a monitoring network.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClaasError } from '../errors.js';
import { failingSince, METRICS_CONTENT_TYPE, renderRunMetrics } from './metrics.js';
import type { ServiceStatus } from './types.js';

/** What /healthz answers: the status, whether it is fine, and what is not. */
export type HealthReport = ServiceStatus & { ok: boolean; problems: string[] };

/**
 * Whether the service is fine. Only active libraries count (a standby one publishes nothing); a source or
 * library whose last error is newer than its last success is failing; a broken replica is failing. A
 * lagging replica is fine: native replication and mirrors catch up after every version. Before the service
 * has started (no library yet) it is not fine.
 */
export function healthOf(status: ServiceStatus): HealthReport {
  const problems: string[] = [];
  if (status.libraries.length === 0) problems.push('claas run is starting: no library is running yet');
  for (const lib of status.libraries) {
    if (lib.role !== 'active') continue;
    const name = lib.library;
    if (failingSince(lib.lastError, lib.lastSyncAt)) problems.push(`${name}: ${lib.lastError!.message}`);
    for (const s of lib.sources) {
      if (failingSince(s.lastError, s.lastSuccessAt))
        problems.push(`${name}: source ${s.source}: ${s.lastError!.message}`);
    }
    for (const r of lib.replicas) {
      if (r.state === 'broken') problems.push(`${name}: replica ${r.name} is broken`);
    }
    if (lib.archive !== undefined && failingSince(lib.archive.lastError, lib.archive.lastRunAt))
      problems.push(`${name}: archive: ${lib.archive.lastError!.message}`);
  }
  return { ok: problems.length === 0, problems, ...status };
}

export interface RunHttpOptions {
  host: string;
  port: number;
  /** The service status now (called per request). */
  status(): ServiceStatus;
  now?: () => Date;
}

export interface RunHttpServer {
  /** http://host:port (the port the system chose for port 0). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Answers one request; exported for tests that call it without a socket. */
export function handleRunHttp(
  o: Pick<RunHttpOptions, 'status' | 'now'>,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/healthz' && path !== '/metrics') {
    return send(req, res, 404, TEXT_TYPE, 'not found: claas run answers /healthz and /metrics\n');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(req, res, 405, TEXT_TYPE, `${req.method ?? ''} is not allowed\n`);
  }
  let status: ServiceStatus;
  try {
    status = o.status();
  } catch (e) {
    return send(req, res, 500, TEXT_TYPE, `status unavailable: ${(e as Error).message}\n`);
  }
  if (path === '/metrics') {
    return send(req, res, 200, METRICS_CONTENT_TYPE, renderRunMetrics(status, o.now?.() ?? new Date()));
  }
  const report = healthOf(status);
  send(req, res, report.ok ? 200 : 503, JSON_TYPE, `${JSON.stringify(report, null, 2)}\n`);
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Listens on host:port; refuses (ClaasError) when the address is taken or not this host's. */
export async function listenRunHttp(o: RunHttpOptions): Promise<RunHttpServer> {
  const server: Server = createServer((req, res) => handleRunHttp(o, req, res));
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new ClaasError(
          e.code === 'EADDRINUSE' ? 'CONFLICT' : 'BAD_INPUT',
          `cannot listen on ${o.host}:${o.port}`,
          {
            input: '--listen',
            hint:
              e.code === 'EADDRINUSE'
                ? 'another process listens there: choose another port with --listen'
                : `give an address of this host with --listen (${e.code ?? e.message})`,
            cause: e,
          },
        ),
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${hostForUrl(o.host)}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      }),
  };
}
