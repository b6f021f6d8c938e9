// The dashboard's static files (ui/ in the package: HTML, JavaScript, CSS; no CDN, nothing fetched from
// elsewhere), read once into memory and served at /ui/ with a strict Content-Security-Policy, strong
// ETags and no caching by intermediaries. Only files that exist in ui/ at start-up can be served: the
// request path is a lookup key, never joined onto a file system path.

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ClaasError } from '../../errors.js';
import { sendBody, sendStatus } from '../handler.js';

/** ui/ at the package root (this file is dist/src/gateway/admin/ui-assets.js once built). */
export const UI_DIR = fileURLToPath(new URL('../../../../ui/', import.meta.url));

export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
};

export interface UiAsset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The files of ui/ (one level, by name). */
export async function loadUiAssets(dir: string = UI_DIR): Promise<Map<string, UiAsset>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new ClaasError('INTERNAL', 'the dashboard files are missing from this installation', {
      input: dir,
      hint: `reinstall claas (the package ships ui/); ${(e as NodeJS.ErrnoException).code ?? ''}`.trim(),
    });
  }
  const assets = new Map<string, UiAsset>();
  for (const name of names) {
    const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
    const type = TYPES[ext];
    if (type === undefined || name.startsWith('.')) continue;
    const body = await readFile(`${dir}/${name}`);
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
    assets.set(name, { body, type, etag });
  }
  if (!assets.has('index.html')) {
    throw new ClaasError('INTERNAL', 'the dashboard has no index.html', {
      input: dir,
      hint: 'reinstall claas (the package ships ui/)',
    });
  }
  return assets;
}

/** Serves `/ui/<name>` (`/ui/` is index.html; `/ui` redirects there so relative URLs resolve). */
export function serveUiAsset(
  assets: Map<string, UiAsset>,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (path === '/ui') {
    res.writeHead(301, { Location: '/ui/', 'Content-Length': '0' });
    res.end();
    return;
  }
  const name = path.slice('/ui/'.length) || 'index.html';
  const asset = assets.get(name);
  if (asset === undefined) return sendStatus(req, res, 404);
  const headers: Record<string, string> = {
    'Content-Type': asset.type,
    ETag: asset.etag,
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': UI_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  sendBody(req, res, 200, { ...headers, 'Content-Length': String(asset.body.length) }, asset.body);
}
