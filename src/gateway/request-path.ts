// Maps an HTTP request target to a store key under the library root, refusing anything that could
// reach outside it (raw or percent-encoded "..", "/", "\", double encoding) or into claas internals
// (.claas/) and dotfiles. Decoding is delegated to the VCSP href rules, the same ones readers apply.

import { isInternalKey } from '../publish/layout.js';
import { decodeHref } from '../vcsp/hrefs.js';

/** Longest request target served; longer ones get 414. */
export const MAX_URL_BYTES = 8 * 1024;

export type RequestPath = { key: string } | { status: 400 | 404 | 414 };

/** Normalises a mount path: '' or '/a/b' (leading slash, no trailing slash). */
export function normalizeBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

export function keyForRequest(rawUrl: string, basePath: string): RequestPath {
  if (Buffer.byteLength(rawUrl, 'utf8') > MAX_URL_BYTES) return { status: 414 };
  const cut = rawUrl.search(/[?#]/);
  const path = cut < 0 ? rawUrl : rawUrl.slice(0, cut);
  if (!path.startsWith(`${basePath}/`)) return { status: 404 };
  const href = path.slice(basePath.length + 1);
  if (href === '') return { status: 404 };
  let segments: string[];
  try {
    segments = decodeHref(href, 'request');
  } catch {
    return { status: 400 };
  }
  if (segments.some((s) => s.startsWith('.'))) return { status: 404 };
  const key = segments.join('/');
  if (isInternalKey(key)) return { status: 404 };
  return { key };
}
