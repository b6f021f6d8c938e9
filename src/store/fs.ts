// The local file system as an ObjectStore: a folder is the library root, keys are relative paths.
// Writes are atomic and durable (temp file under .claas/tmp/, fsync, rename, fsync the folder), and
// every put is hashed while it is written so a wrong SHA-256 never becomes a visible object.

import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, rmdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ClaasError, badInput } from '../errors.js';
import { fsServerSideCopy } from './fs-server-copy.js';
import { renameDurably } from '../util/fs-atomic.js';
import { Confinement } from './fs-confine.js';
import type {
  ByteRange,
  ListOptions,
  ObjectStore,
  PutOptions,
  PutSource,
  StoreFeatures,
  StoredObject,
} from './types.js';

/** Where in-flight puts live: inside the root, so the final rename stays on one file system. */
export const FS_TEMP_PREFIX = '.claas/tmp/';
/** Read size for copying: 1 MiB chunks keep syscalls and event-loop turns few. */
const CHUNK = 1024 * 1024;
/** Temp files older than this are left over from a killed writer. */
const STALE_TEMP_MS = 60 * 60 * 1000;

const KEY_HINT = 'Keys are relative paths below the library root, separated by "/", without "." or "..".';

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined;
}

function isMissing(e: unknown): boolean {
  const code = errnoCode(e);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Checks a key and returns its segments; throws BAD_INPUT for anything that could leave the root. */
function keySegments(key: string): string[] {
  const why =
    typeof key !== 'string' || key.length === 0
      ? 'is empty'
      : key.startsWith('/')
        ? 'is absolute'
        : key.includes('\\')
          ? 'contains a backslash'
          : key.includes('\0')
            ? 'contains a NUL character'
            : key.split('/').some((s) => s === '' || s === '.' || s === '..')
              ? 'has an empty, "." or ".." segment'
              : undefined;
  if (why !== undefined) throw badInput(`Object key ${JSON.stringify(key)} ${why}`, String(key), KEY_HINT);
  return key.split('/');
}

/** Byte-wise (UTF-8) order, the order S3 lists keys in. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, done, chunk.length - done);
    done += bytesWritten;
  }
}

export class FsStore implements ObjectStore {
  readonly kind = 'fs' as const;
  readonly display: string;
  /** Absolute path of the library root. */
  readonly root: string;
  /** No key reaches outside the root, whatever symbolic links lie below it. */
  private readonly confine: Confinement;

  constructor(rootPath: string) {
    this.root = resolve(rootPath);
    this.display = `file:${this.root}`;
    this.confine = new Confinement(this.root);
  }

  readonly features: StoreFeatures = {
    localPath: (key) => this.pathOf(key),
    copy: fsServerSideCopy(
      this,
      () => join(this.root, ...FS_TEMP_PREFIX.split('/').filter(Boolean)),
      (key) => this.refuseOutside(key, this.pathOf(key)),
    ),
  };

  close(): void {
    /* nothing held open between calls */
  }

  /** Absolute path of a key; throws BAD_INPUT for keys that would escape the root. */
  pathOf(key: string): string {
    return join(this.root, ...keySegments(key));
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const st = await this.confine.statFile(this.pathOf(key));
    return st === undefined ? undefined : { key, size: st.size, mtime: st.mtime };
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StoredObject> {
    // Walk only the folder the prefix points into, then filter by the full prefix.
    options.onRequest?.();
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash);
    if (dirKey !== '') keySegments(dirKey);
    const start = dirKey === '' ? this.root : join(this.root, ...dirKey.split('/'));
    if (dirKey !== '' && !(await this.confine.isInsideDir(start))) return; // e.g. a linked folder
    for await (const obj of this.walk(start, dirKey === '' ? '' : `${dirKey}/`)) {
      if (obj.key.startsWith(prefix)) yield obj;
    }
  }

  /** Regular files below dir in key order; symlinks and special files are skipped, as is .claas/tmp/. */
  private async *walk(dir: string, keyPrefix: string): AsyncGenerator<StoredObject> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    // A folder sorts as "name/" so that the walk yields keys in the same order a sort of full keys would.
    const sorted = entries
      .filter((d) => d.isFile() || d.isDirectory())
      .map((d) => ({ d, sortKey: d.isDirectory() ? `${d.name}/` : d.name }))
      .sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    for (const { d } of sorted) {
      const key = keyPrefix + d.name;
      const path = join(dir, d.name);
      if (d.isDirectory()) {
        if (`${key}/` === FS_TEMP_PREFIX) continue;
        yield* this.walk(path, `${key}/`);
        continue;
      }
      try {
        const st = await lstat(path);
        if (st.isFile()) yield { key, size: st.size, mtime: st.mtime };
      } catch (e) {
        if (!isMissing(e)) throw e; // deleted while listing
      }
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const opened = await this.confine.openFile(this.pathOf(key));
    if (opened === undefined) throw this.notFound(key);
    const { fh } = opened;
    try {
      if (range !== undefined) checkRange(range, key);
    } catch (e) {
      await fh.close();
      throw e;
    }
    return fh.createReadStream({
      highWaterMark: CHUNK,
      ...(range === undefined
        ? {}
        : { start: range.start, ...(range.end === undefined ? {} : { end: range.end }) }),
    });
  }

  async readBytes(key: string): Promise<Buffer | undefined> {
    const opened = await this.confine.openFile(this.pathOf(key));
    if (opened === undefined) return undefined;
    try {
      return await opened.fh.readFile();
    } finally {
      await opened.fh.close();
    }
  }

  async put(key: string, source: PutSource, options: PutOptions = {}): Promise<void> {
    const target = this.pathOf(key);
    options.signal?.throwIfAborted();
    await this.refuseOutside(key, target);
    const tmpDir = join(this.root, ...FS_TEMP_PREFIX.split('/').filter(Boolean));
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o644);
    let closed = false;
    try {
      const hash = createHash('sha256');
      const written = await this.copyInto(fh, source, hash, options);
      const expectedLength =
        source.kind === 'file' ? source.length : source.kind === 'stream' ? source.size : source.data.length;
      if (expectedLength !== undefined && written !== expectedLength) {
        throw new ClaasError(
          'INTEGRITY',
          `${describeSource(source, key)} gave ${written} bytes, expected ${expectedLength}`,
          {
            input: sourceInput(source, key),
            hint: 'The file changed or was truncated while being copied; run again.',
          },
        );
      }
      const actual = hash.digest('hex');
      if (options.sha256 !== undefined && actual !== options.sha256.toLowerCase()) {
        throw new ClaasError(
          'INTEGRITY',
          `SHA-256 of ${describeSource(source, key)} is ${actual}, expected ${options.sha256.toLowerCase()}`,
          {
            input: sourceInput(source, key),
            hint: 'The file changed while claas read it, or the disk returned different bytes; run again.',
          },
        );
      }
      await fh.sync();
      closed = true;
      await fh.close();
      await renameDurably(tmp, target);
    } catch (e) {
      if (!closed) await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Copies the source into fh, hashing and reporting progress; returns the number of bytes written. */
  private async copyInto(
    fh: FileHandle,
    source: PutSource,
    hash: ReturnType<typeof createHash>,
    options: PutOptions,
  ): Promise<number> {
    const { signal, onProgress } = options;
    if (source.kind === 'bytes') {
      for (let at = 0; at < source.data.length; at += CHUNK) {
        signal?.throwIfAborted();
        const chunk = source.data.subarray(at, at + CHUNK);
        hash.update(chunk);
        await writeAll(fh, chunk);
        onProgress?.(chunk.length);
      }
      return source.data.length;
    }
    if (source.kind === 'stream') {
      const input = await source.open();
      let written = 0;
      try {
        for await (const chunk of input as AsyncIterable<Buffer>) {
          signal?.throwIfAborted();
          hash.update(chunk);
          await writeAll(fh, chunk);
          written += chunk.length;
          onProgress?.(chunk.length);
        }
      } finally {
        input.destroy();
      }
      return written;
    }
    const start = source.offset ?? 0;
    if (source.length === 0) return 0;
    const end = source.length === undefined ? undefined : start + source.length - 1;
    const input = createReadStream(source.path, {
      highWaterMark: CHUNK,
      start,
      ...(end === undefined ? {} : { end }),
      ...(signal === undefined ? {} : { signal }),
    });
    let written = 0;
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        hash.update(chunk);
        await writeAll(fh, chunk);
        written += chunk.length;
        onProgress?.(chunk.length);
      }
    } catch (e) {
      if (isMissing(e)) {
        throw new ClaasError('NOT_FOUND', `Cannot read ${source.path}: it does not exist`, {
          input: source.path,
          hint: 'The file was moved or deleted after it was scanned; run again.',
          cause: e,
        });
      }
      throw e;
    } finally {
      input.destroy();
    }
    signal?.throwIfAborted();
    return written;
  }

  /**
   * Copies fromKey to toKey: a hard link when the file system allows (keys are immutable: every put
   * writes a new file and renames it, so sharing the inode is safe), else a copy (fs-server-copy.ts).
   */
  async copyWithin(fromKey: string, toKey: string): Promise<void> {
    const target = this.pathOf(toKey);
    const st = await this.head(fromKey);
    if (st === undefined) throw this.notFound(fromKey);
    await this.refuseOutside(toKey, target);
    await this.features.copy!.copyFrom(this, fromKey, toKey, { source: { size: st.size } });
  }

  async delete(keys: string[]): Promise<void> {
    const paths = keys.map((k) => this.pathOf(k));
    const parents = new Set<string>();
    for (const path of paths) {
      if (!(await this.confine.parentInside(path))) continue; // below a linked folder: not the library's
      await rm(path, { force: true });
      parents.add(dirname(path));
    }
    // Deepest folders first, so that emptied chains are removed bottom-up.
    const ordered = [...parents].sort((a, b) => b.length - a.length);
    for (const start of ordered) await this.removeEmptyParents(start);
  }

  /** Removes dir and its parents while they are empty, never the root itself. */
  private async removeEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.root + sep) && current !== this.root) {
      try {
        await rmdir(current);
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'ENOENT') {
          current = dirname(current);
          continue;
        }
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') return;
        throw e;
      }
      current = dirname(current);
    }
  }

  async probe(): Promise<{ exists: boolean; empty: boolean }> {
    let st;
    try {
      st = await stat(this.root);
    } catch (e) {
      if (isMissing(e)) return { exists: false, empty: true };
      throw e;
    }
    if (!st.isDirectory()) {
      throw new ClaasError('NOT_A_LIBRARY', `${this.root} is a file, not a folder`, {
        input: this.display,
        hint: 'Give the folder that holds (or will hold) the library, e.g. file:/srv/library.',
      });
    }
    const entries = await readdir(this.root);
    return { exists: true, empty: entries.length === 0 };
  }

  /** Removes temp files left by killed writers (older than maxAgeMs); returns how many were removed. */
  async cleanTemp(maxAgeMs: number = STALE_TEMP_MS, now: number = Date.now()): Promise<number> {
    const tmpDir = join(this.root, ...FS_TEMP_PREFIX.split('/').filter(Boolean));
    let names: string[];
    try {
      names = await readdir(tmpDir);
    } catch (e) {
      if (isMissing(e)) return 0;
      throw e;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(tmpDir, name);
      try {
        const st = await lstat(path);
        if (st.isFile() && now - st.mtimeMs > maxAgeMs) {
          await rm(path, { force: true });
          removed++;
        }
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    }
    return removed;
  }

  /** A write must land inside the root: not through a linked folder to somewhere else. */
  private async refuseOutside(key: string, target: string): Promise<void> {
    if (await this.confine.parentInside(target)) return;
    throw badInput(
      `${key} lies below a symbolic link that leads out of ${this.display}`,
      `${this.display}/${key}`,
      'Remove the link from the library folder: claas writes and reads only inside it.',
    );
  }

  private notFound(key: string): ClaasError {
    return new ClaasError('NOT_FOUND', `${key} does not exist in ${this.display}`, {
      input: `${this.display}/${key}`,
      hint: 'Check the key, or publish the library again if a file has gone missing.',
    });
  }
}

function checkRange(range: ByteRange, key: string): void {
  const ok =
    Number.isSafeInteger(range.start) &&
    range.start >= 0 &&
    (range.end === undefined || (Number.isSafeInteger(range.end) && range.end >= range.start));
  if (!ok)
    throw badInput(`Invalid byte range ${JSON.stringify(range)}`, key, 'Give start <= end, both >= 0.');
}

function describeSource(source: PutSource, key: string): string {
  if (source.kind === 'bytes') return `the data for ${key}`;
  if (source.kind === 'stream') return source.describe;
  if (source.offset === undefined && source.length === undefined) return source.path;
  const start = source.offset ?? 0;
  return `${source.path} (bytes ${start}-${source.length === undefined ? 'end' : start + source.length - 1})`;
}

function sourceInput(source: PutSource, key: string): string {
  return source.kind === 'file' ? source.path : source.kind === 'stream' ? source.describe : key;
}
