// The VCSP request handler: serves GET and HEAD of library objects from an ObjectStore with Basic auth,
// single byte ranges, strong ETags on the JSON documents, and streaming with backpressure. It is a plain
// (req, res) function so `claas serve`, the multi-tenant gateway or any http(s) server can mount it.

import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { isClaasError } from '../errors.js';
import type { ObjectStore, StoredObject } from '../store/types.js';
import { basicAuthChecker, WWW_AUTHENTICATE } from '../vcsp/basic-auth.js';
import { parseRange } from './range.js';
import { keyForRequest, normalizeBasePath } from './request-path.js';

/** One served request, for access logs. Never holds credentials or the Authorization header. */
export interface AccessLogEntry {
  method: string;
  /** The request path without query string (cut to 1 KiB). */
  path: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  ms: number;
  remote: string;
  /** Why a request failed on the server side (5xx, or a read that broke off mid-stream). */
  error?: string;
}

export interface VcspHandlerOptions {
  store: ObjectStore;
  /** Basic auth password for user "vcsp"; undefined = no authentication. */
  password?: string;
  /** Where the library is mounted: '' (root) or e.g. '/templates'. */
  basePath?: string;
  onRequest?: (entry: AccessLogEntry) => void;
}

export type VcspHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** JSON documents up to this size are served from memory with an ETag; larger ones are streamed. */
const MAX_JSON_IN_MEMORY = 64 * 1024 * 1024;
const MAX_LOGGED_PATH = 1024;

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json; charset=utf-8',
  ovf: 'text/xml',
  mf: 'text/plain',
  cert: 'text/plain',
  txt: 'text/plain',
};

export function contentTypeFor(key: string): string {
  const dot = key.lastIndexOf('.');
  const ext = dot < 0 || dot < key.lastIndexOf('/') ? '' : key.slice(dot + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/** What a response has sent so far, for the access log. */
export interface Served {
  bytes: number;
  error?: string;
}

/** An object's metadata as served: a store's, optionally with a strong ETag the source already knows. */
export interface ServedObject extends StoredObject {
  etag?: string;
}

/**
 * What serveKey reads from: an ObjectStore, or a view that picks a replica or synthesises lib.json per
 * request (the multi-library gateway).
 */
export interface ReadableStore {
  head(key: string): Promise<ServedObject | undefined>;
  read: ObjectStore['read'];
  readBytes: ObjectStore['readBytes'];
}

/** claas's content-addressed file keys (<item>/<sha256>/<name>): the hash is a strong ETag. */
const CONTENT_ADDRESSED = /^[^/]+\/([0-9a-f]{64})\/[^/]+$/;

/** The strong ETag a key carries in its name, or undefined. */
export function etagForKey(key: string): string | undefined {
  const m = CONTENT_ADDRESSED.exec(key);
  return m === null ? undefined : `"${m[1]}"`;
}

export function createVcspHandler(o: VcspHandlerOptions): VcspHandler {
  const basePath = normalizeBasePath(o.basePath);
  const authorized = o.password === undefined ? undefined : basicAuthChecker(o.password);
  return (req, res) => {
    const started = performance.now();
    const remote = req.socket.remoteAddress ?? ''; // read now: a closed socket no longer knows it
    const served: Served = { bytes: 0 };
    res.once('close', () => {
      if (o.onRequest === undefined) return;
      const raw = req.url ?? '';
      const cut = raw.search(/[?#]/);
      const entry: AccessLogEntry = {
        method: req.method ?? '',
        path: (cut < 0 ? raw : raw.slice(0, cut)).slice(0, MAX_LOGGED_PATH),
        status: res.statusCode,
        bytes: served.bytes,
        ms: Math.round(performance.now() - started),
        remote,
        ...(served.error === undefined ? {} : { error: served.error }),
      };
      try {
        o.onRequest(entry);
      } catch {
        // A failing logger must not take the server down.
      }
    });
    serve(o.store, basePath, authorized, req, res, served).catch((e: unknown) => {
      served.error = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) {
        sendStatus(req, res, isClaasError(e, 'NOT_FOUND') ? 404 : 500);
      } else {
        res.destroy();
      }
    });
  };
}

export function sendStatus(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
) {
  const body = `${status} ${STATUS_CODES[status] ?? ''}\n`;
  sendBody(
    req,
    res,
    status,
    {
      ...headers,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
    },
    body,
  );
}

/** A JSON answer made in memory, never cached (health, admin API). */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, doc: unknown): void {
  const body = Buffer.from(`${JSON.stringify(doc)}\n`);
  sendBody(
    req,
    res,
    status,
    {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
    body,
  );
}

/**
 * Sends an answer made in memory (the body is left out for HEAD). The headers go through setHeader, so
 * they stay readable with getHeader once sent (writeHead(status, headers) alone bypasses that store): the
 * gateway's access log counts such answers by their Content-Length.
 */
export function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer | string,
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.writeHead(status);
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function serve(
  store: ObjectStore,
  basePath: string,
  authorized: ((header: string | undefined) => boolean) | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  served: Served,
): Promise<void> {
  const target = keyForRequest(req.url ?? '/', basePath);
  if ('status' in target && target.status === 414) return sendStatus(req, res, 414);
  if (authorized !== undefined && !authorized(req.headers.authorization)) {
    return sendStatus(req, res, 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendStatus(req, res, 405, { Allow: 'GET, HEAD' });
  if ('status' in target) return sendStatus(req, res, target.status);
  await serveKey(store, target.key, req, res, served);
}

/**
 * Answers a GET or HEAD of one library key (already authorised and checked by keyForRequest): 404 when
 * missing, JSON from memory with a strong ETag, files streamed with Range, backpressure and
 * Last-Modified (and a strong ETag when the key is content-addressed).
 */
export async function serveKey(
  store: ReadableStore,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
  served: Served,
): Promise<void> {
  const meta = await store.head(key);
  if (meta === undefined) return sendStatus(req, res, 404);
  const headers: Record<string, string> = {
    'Accept-Ranges': 'bytes',
    'Content-Type': contentTypeFor(key),
    'Last-Modified': meta.mtime.toUTCString(),
  };
  const knownEtag = meta.etag ?? etagForKey(key);
  if (knownEtag !== undefined) headers.ETag = knownEtag;

  // JSON documents are small and the ones subscribers poll: serve them from memory with a strong ETag,
  // so the ETag always matches the bytes sent even when lib.json is replaced meanwhile.
  let body: Buffer | undefined;
  let size = meta.size;
  if (key.toLowerCase().endsWith('.json') && meta.size <= MAX_JSON_IN_MEMORY) {
    body = await store.readBytes(key);
    if (body === undefined) return sendStatus(req, res, 404);
    size = body.length;
    headers.ETag = `"${createHash('sha256').update(body).digest('hex')}"`;
    headers['Cache-Control'] = 'no-cache';
  }
  if (notModified(req, headers.ETag, meta.mtime)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }

  const range = parseRange(req.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    return sendStatus(req, res, 416, { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' });
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  headers['Content-Length'] = String(length);
  if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  const status = range.kind === 'partial' ? 206 : 200;

  if (req.method === 'HEAD' || length === 0) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  if (body !== undefined) {
    res.writeHead(status, headers);
    const slice = body.subarray(start, end + 1);
    served.bytes = slice.length;
    res.end(slice);
    return;
  }
  const stream = await store.read(key, range.kind === 'partial' ? { start, end } : undefined);
  if (res.destroyed) {
    stream.destroy(); // the client left while the store was opening the object
    return;
  }
  res.writeHead(status, headers);
  // Counted by a listener beside the pipe rather than a transform in the pipeline: no promise per chunk.
  // Chunks that arrive in one turn of the event loop leave in one write (writev): the socket is corked on
  // the first and uncorked after the turn, instead of one system call per chunk read from the store.
  let corked = false;
  stream.on('data', (chunk: Buffer) => {
    served.bytes += chunk.length;
    if (!corked) {
      corked = true;
      res.cork();
      setImmediate(() => {
        corked = false;
        res.uncork();
      });
    }
  });
  try {
    await pipeline(stream, res);
  } catch (e) {
    // A client that goes away is normal (pipeline has destroyed the store stream); anything else is logged.
    if ((e as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      served.error = e instanceof Error ? e.message : String(e);
    }
    res.destroy();
  }
}

/** If-None-Match (ETag, weak comparison) or, for files without an ETag, If-Modified-Since. */
function notModified(req: IncomingMessage, etag: string | undefined, mtime: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (etag === undefined) return false;
    const bare = etag.replace(/^W\//, '');
    return inm
      .split(',')
      .map((t) => t.trim())
      .some((t) => t === '*' || t.replace(/^W\//, '') === bare);
  }
  // Documents with an ETag are judged by it alone: lib.json can change twice within one second.
  const ims = req.headers['if-modified-since'];
  if (ims === undefined || etag !== undefined || req.headers.range !== undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since;
}
