// Copies into a local folder store without streaming through a store's read/put (its features.copy): from
// any store with local files (features.localPath), a hard link within one store (keys are immutable: every
// put writes a new file and renames it, so sharing the inode is safe) and a file copy otherwise (a reflink
// where the file system can, so an archive never shares its bytes with the library). The copy is made under
// the destination's temp folder, checked against the planned size and SHA-256, and renamed into place.

import { constants, copyFile, link, mkdir, open, rm } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ClaasError } from '../errors.js';
import { renameDurably } from '../util/fs-atomic.js';
import type { CopyFromOptions, ObjectStore, ServerSideCopy } from './types.js';

const CHUNK = 1024 * 1024;

/** The ServerSideCopy of a local folder store; `tempDir` is where its in-flight writes live. */
/**
 * `confineTarget` refuses a destination key below a linked folder that leads out of the store; the source is
 * read only after its store's head() found it inside (fs.ts confines every path component).
 */
export function fsServerSideCopy(
  store: ObjectStore,
  tempDir: () => string,
  confineTarget: (key: string) => Promise<void>,
): ServerSideCopy {
  return {
    canCopyFrom: (source) => source.features.localPath !== undefined,
    copyFrom: async (source, fromKey, toKey, o) => {
      const fromPath = source.features.localPath;
      const toPath = store.features.localPath;
      if (fromPath === undefined || toPath === undefined) {
        throw new ClaasError('INTERNAL', `${source.display} has no local files to copy to ${store.display}`);
      }
      const from = fromPath(fromKey);
      const target = toPath(toKey);
      const st = await source.head(fromKey);
      const input = `${source.display}/${fromKey}`;
      if (st === undefined) {
        throw new ClaasError('NOT_FOUND', `${fromKey} does not exist in ${source.display}`, { input });
      }
      if (st.size !== o.source.size) {
        throw new ClaasError('INTEGRITY', `${input} has ${st.size} bytes, expected ${o.source.size}`, {
          input,
          hint: 'the source was changed or damaged since the copy was planned; run `claas verify --deep` on it',
        });
      }
      await confineTarget(toKey);
      await placeFile(from, target, tempDir(), { ...o, link: source === store, input });
    },
  };
}

/** Links or copies `from` to a temp file, checks its SHA-256 when one is planned, and renames it to target. */
async function placeFile(
  from: string,
  target: string,
  tmpDir: string,
  o: CopyFromOptions & { link: boolean; input: string },
): Promise<void> {
  o.signal?.throwIfAborted();
  await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
  try {
    let linked = false;
    if (o.link)
      linked = await link(from, tmp).then(
        () => true,
        () => false,
      );
    if (!linked) await copyFile(from, tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    const want = o.source.sha256?.toLowerCase();
    if (want !== undefined) {
      const got = await hashFile(tmp, o.signal);
      if (got !== want) {
        throw new ClaasError('INTEGRITY', `SHA-256 of ${o.input} is ${got}, expected ${want}`, {
          input: o.input,
          hint: 'the source was changed since the copy was planned, or the disk returned other bytes; run again',
        });
      }
    }
    if (!linked) await syncFile(tmp);
    await renameDurably(tmp, target);
    o.onProgress?.(o.source.size);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    for await (const chunk of fh.createReadStream({
      highWaterMark: CHUNK,
      autoClose: false,
    }) as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      hash.update(chunk);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
