// The folder source: each subfolder, OVA, ISO or file of a local folder becomes one library item.
// Hashes come from the content-hash cache when path, size and mtime are unchanged.

import { stat } from 'node:fs/promises';
import { ClaasError } from '../errors.js';
import { scanSource } from '../content/scan.js';
import type { ScanOptions } from '../content/scan.js';
import { HashCache, defaultHashCachePath } from '../content/hash-cache.js';
import type { PublishInput } from '../publish/publish.js';
import { defaultLibraryName } from '../publish/publish.js';
import type { EventSink } from '../publish/events.js';
import { ignoreEvents } from '../publish/events.js';

export interface FolderSourceOptions {
  /** Path of the hash cache file; null disables the cache. */
  cacheFile?: string | null;
  onEvent?: EventSink;
  signal?: AbortSignal;
  /** Each file hashed now (not from the cache), as soon as its hash is known (early uploads). */
  onFileHashed?: ScanOptions['onFileHashed'];
  /** Publish the targets of symbolic links that lead out of the folder (refused by default). */
  followSymlinks?: boolean;
}

export async function readFolderSource(
  folder: string,
  options: FolderSourceOptions = {},
): Promise<PublishInput> {
  const onEvent = options.onEvent ?? ignoreEvents;
  let st;
  try {
    st = await stat(folder);
  } catch {
    if (folder.includes('\ufffd')) {
      // Node decodes arguments as UTF-8: other bytes arrive as U+FFFD, and such a path opens nothing.
      throw new ClaasError(
        'BAD_INPUT',
        `the source folder path ${folder} is not valid UTF-8 (\ufffd marks the bytes)`,
        {
          input: folder,
          hint: 'rename the folder to a UTF-8 name (for example: convmv -f latin1 -t utf-8 --notest <name>), or give the path of a symbolic link with a UTF-8 name that points to it',
        },
      );
    }
    throw new ClaasError('NOT_FOUND', `source folder ${folder} does not exist`, {
      input: folder,
      hint: 'check the path',
    });
  }
  if (!st.isDirectory()) {
    throw new ClaasError('BAD_INPUT', `source ${folder} is not a folder`, {
      input: folder,
      hint: 'give the folder that holds the templates, ISOs and files (each subfolder, .ova, .iso or file becomes an item)',
    });
  }
  const cache =
    options.cacheFile === null
      ? undefined
      : await HashCache.load(options.cacheFile ?? defaultHashCachePath());
  onEvent({ type: 'scan-start', source: folder });
  const scan = await scanSource(folder, {
    ...(cache === undefined ? {} : { hashCache: cache }),
    onProgress: (p) => onEvent({ type: 'hash-progress', path: p.path, bytes: p.bytes, total: p.total }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onFileHashed === undefined ? {} : { onFileHashed: options.onFileHashed }),
    ...(options.followSymlinks === true ? { followSymlinks: true } : {}),
  });
  await cache?.save();
  for (const w of scan.warnings) onEvent({ type: 'warning', message: w.message, input: w.input });
  onEvent({
    type: 'scan-done',
    items: scan.items.length,
    files: scan.stats.files,
    bytes: scan.stats.bytes,
    hashedBytes: scan.stats.hashedBytes,
    cachedFiles: scan.stats.cachedFiles,
  });
  return { items: scan.items, defaultName: defaultLibraryName(folder) };
}
