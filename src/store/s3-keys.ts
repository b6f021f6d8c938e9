// Object keys of an S3 store: the checks every key passes before a request is made (relative, '/'-separated,
// no empty, '.' or '..' segment, no control characters), and ETags as listings of different servers compare.

import { badInput } from '../errors.js';

export const KEY_HINT =
  'Keys are relative paths below the library root, separated by "/", without "." or "..".';

export function checkKey(key: string): void {
  const why =
    typeof key !== 'string' || key === ''
      ? 'is empty'
      : key.startsWith('/')
        ? 'is absolute'
        : /[\u0000-\u001f\u007f\\]/.test(key)
          ? 'contains a control character or backslash'
          : key.split('/').some((s) => s === '' || s === '.' || s === '..')
            ? 'has an empty, "." or ".." segment'
            : undefined;
  if (why !== undefined) throw badInput(`Object key ${JSON.stringify(key)} ${why}`, String(key), KEY_HINT);
}

/** An ETag without its quotes (and weak marker). */
export function stripEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^W\//, '').replace(/^"+|"+$/g, '');
}
