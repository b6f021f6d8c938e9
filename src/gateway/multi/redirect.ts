// The direct data path (gateway.redirect, config/redirect.ts): a file download by an authenticated tenant,
// of a library it was granted, is answered with a 302 to a presigned GET URL of the same object at the
// replica the gateway chose, so the bytes flow from the store to the vCenter. Everything else is served
// by the gateway as before: lib.json, the item index and item documents (from the consistent snapshot),
// HEAD, conditional requests, and replicas the vCenters cannot reach (not in redirect.stores). The router
// calls this only after authentication and the grant check. The URL is a bearer credential: it goes into
// the Location header and nowhere else (the access log records the request path and the status).

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { contentTypeFor, sendBody } from '../handler.js';
import type { LibraryView } from './replicas.js';

export interface DownloadRequest {
  method: string;
  /** The library key asked for (keyForRequest). */
  key: string;
  headers: IncomingHttpHeaders;
}

/**
 * Whether a request may be redirected at all (before asking which replica holds the key): GET of a file.
 * Not the VCSP documents (every `.json`: lib.json, items-N.json, item JSON — they are served from the
 * version the gateway chose, with its ETags), not HEAD (no bytes to move), and not
 * requests that compare the gateway's ETags (If-None-Match, If-Range): the store's ETags are different.
 */
export function isRedirectable(r: DownloadRequest): boolean {
  if (r.method !== 'GET') return false;
  if (r.key.toLowerCase().endsWith('.json')) return false;
  return r.headers['if-none-match'] === undefined && r.headers['if-range'] === undefined;
}

/**
 * Answers the request with a 302 to the store when it may be redirected and the replica that holds the key
 * allows it; returns false (nothing sent) when the gateway is to serve it.
 */
export async function redirectDownload(
  view: LibraryView,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  if (!isRedirectable({ method: req.method ?? '', key, headers: req.headers })) return false;
  const target = await view.redirectTarget(key);
  if (target === undefined || res.destroyed) return false;
  const url = await target.store.features.presign!.getUrl(key, target.expiresSeconds, {
    contentType: contentTypeFor(key),
  });
  sendBody(
    req,
    res,
    302,
    {
      Location: url,
      // A bearer credential: no shared cache may keep it, and it expires anyway.
      'Cache-Control': 'no-store',
      'Content-Length': '0',
    },
    '',
  );
  return true;
}
