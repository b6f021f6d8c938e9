// A persistent cache of file hashes keyed on absolute path, size, mtime and inode, so unchanged
// files are not read again. One JSON file; a corrupt or unreadable cache is ignored, never fatal.

import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { ClaasError } from '../errors.js';
import { hashFileWith, type HashAlgo, type HashFileOptions } from './hash.js';

/** The part of a stat result a cache entry depends on. */
export interface CacheStat {
  size: number;
  mtimeMs: number;
  ino: number;
}

const FORMAT = 'claas.hash-cache/1';

/** [size, mtimeMs, ino, hex] */
type Entry = [number, number, number, string];

interface CacheFile {
  format: typeof FORMAT;
  entries: Record<string, Entry>;
}

/** Where the hash cache lives unless configured: $CLAAS_CACHE_DIR, $XDG_CACHE_HOME/claas or ~/.cache/claas. */
export function defaultHashCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLAAS_CACHE_DIR) return join(env.CLAAS_CACHE_DIR, 'hash-cache.json');
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'claas', 'hash-cache.json');
}

function isEntry(v: unknown): v is Entry {
  return (
    Array.isArray(v) &&
    v.length === 4 &&
    typeof v[0] === 'number' &&
    typeof v[1] === 'number' &&
    typeof v[2] === 'number' &&
    typeof v[3] === 'string' &&
    /^[0-9a-f]+$/.test(v[3])
  );
}

export class HashCache {
  private readonly entries = new Map<string, Entry>();
  private dirty = false;

  private constructor(readonly file: string) {}

  /** Loads the cache at file; a missing, unreadable or corrupt file gives an empty cache. */
  static async load(file: string): Promise<HashCache> {
    const cache = new HashCache(resolve(file));
    let data: unknown;
    try {
      data = JSON.parse(await readFile(cache.file, 'utf8'));
    } catch {
      return cache;
    }
    const entries = (data as Partial<CacheFile> | null)?.entries;
    if ((data as Partial<CacheFile> | null)?.format !== FORMAT || typeof entries !== 'object' || !entries) {
      return cache;
    }
    for (const [key, value] of Object.entries(entries)) {
      if (isEntry(value)) cache.entries.set(key, value);
    }
    return cache;
  }

  /** An empty cache that is never saved (for tests and --no-cache). */
  static inMemory(): HashCache {
    return new HashCache('');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached hex digest for key (an absolute path, or path#member) if its stat is unchanged. */
  get(key: string, st: CacheStat): string | undefined {
    const e = this.entries.get(resolve(key));
    if (e === undefined || e[0] !== st.size || e[1] !== st.mtimeMs || e[2] !== st.ino) return undefined;
    return e[3];
  }

  set(key: string, st: CacheStat, hex: string): void {
    const k = resolve(key);
    const e = this.entries.get(k);
    if (e && e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ino && e[3] === hex) return;
    this.entries.set(k, [st.size, st.mtimeMs, st.ino, hex]);
    this.dirty = true;
  }

  delete(key: string): void {
    if (this.entries.delete(resolve(key))) this.dirty = true;
  }

  /** Writes the cache atomically if anything changed since it was loaded or last saved. */
  async save(): Promise<void> {
    if (!this.dirty || this.file === '') return;
    const out: CacheFile = { format: FORMAT, entries: Object.fromEntries(this.entries) };
    await writeFileAtomic(this.file, JSON.stringify(out));
    this.dirty = false;
  }
}

export interface CachedHashOptions extends HashFileOptions {
  /** Algorithm (default sha256). Non-SHA-256 digests are cached under `key?algo`. */
  algo?: HashAlgo;
  /** Cache key instead of the path (e.g. `${ovaPath}#${member}` for a byte range of an OVA). */
  key?: string;
  /** The file's stat as the caller just read it: a cache hit then needs no file system call. */
  stat?: CacheStat;
}

export interface CachedHash {
  hex: string;
  cached: boolean;
  /** Bytes read to compute it (0 when cached). */
  readBytes: number;
  /** The stat of path the digest belongs to. */
  stat: CacheStat;
}

function sameStat(a: CacheStat, b: CacheStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/**
 * Digest of path (or a range of it) from the cache when path's stat is unchanged, else computed and cached.
 * A file that changes while it is read fails with BAD_INPUT (its digest would not match its stat).
 */
export async function digestWithCache(
  cache: HashCache | undefined,
  path: string,
  opts: CachedHashOptions = {},
): Promise<CachedHash> {
  const algo = opts.algo ?? 'sha256';
  const key = resolve(opts.key ?? path) + (algo === 'sha256' ? '' : `?${algo}`);
  const known = opts.stat !== undefined ? cache?.get(key, opts.stat) : undefined;
  if (known !== undefined) return { hex: known, cached: true, readBytes: 0, stat: opts.stat! };
  const before = await stat(path);
  const st: CacheStat = { size: before.size, mtimeMs: before.mtimeMs, ino: before.ino };
  const hit = cache?.get(key, st);
  if (hit !== undefined) return { hex: hit, cached: true, readBytes: 0, stat: st };
  let readBytes = 0;
  const hex = await hashFileWith(algo, path, {
    ...opts,
    onProgress: (n) => {
      readBytes = n;
      opts.onProgress?.(n);
    },
  });
  const after = await stat(path);
  if (!sameStat(st, { size: after.size, mtimeMs: after.mtimeMs, ino: after.ino })) {
    throw new ClaasError('BAD_INPUT', `${path} changed while claas was reading it`, {
      input: path,
      hint: 'wait until the file is completely written, then run again',
    });
  }
  cache?.set(key, st, hex);
  return { hex, cached: false, readBytes, stat: st };
}

/** SHA-256 of path (or a range of it), from the cache when path is unchanged. */
export async function hashWithCache(
  cache: HashCache | undefined,
  path: string,
  opts: Omit<CachedHashOptions, 'algo'> = {},
): Promise<{ sha256: string; cached: boolean; readBytes: number; stat: CacheStat }> {
  const r = await digestWithCache(cache, path, opts);
  return { sha256: r.hex, cached: r.cached, readBytes: r.readBytes, stat: r.stat };
}
