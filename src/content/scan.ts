// Scanning a source folder into SourceItems: list and check (scan-plan.ts), hash every file with bounded
// parallelism and the hash cache (unchanged files are not read again), then check OVF manifests.

import { resolve } from 'node:path';
import type { HashCache } from './hash-cache.js';
import { hashWithCache } from './hash-cache.js';
import { badInput } from '../errors.js';
import { fsError } from './fs-errors.js';
import { hashOvaMembers, type OvaMember } from './ova.js';
import { buildOvfItem } from './ovf-item.js';
import { Limiter, mapLimited } from '../util/pool.js';
import { planSource, type ItemPlan, type PlannedFile } from './scan-plan.js';
import type { ContentWarning, HashedFile, ScannedStat, SourceFile, SourceItem } from './types.js';
import { compareNames } from './names.js';

export interface ScanProgress {
  /** The file (or OVA) being hashed. */
  path: string;
  /** Bytes hashed or found in the cache so far, over the whole scan. */
  bytes: number;
  /** Bytes of all files of the scan. */
  total: number;
}

export interface ScanOptions {
  hashCache?: HashCache;
  /**
   * Each whole file hashed now (not from the cache), as soon as its hash is known and nothing checked
   * later (an OVF manifest) can still refuse it.
   */
  onFileHashed?: (f: HashedFile) => void;
  onProgress?: (e: ScanProgress) => void;
  signal?: AbortSignal;
  /** Publish the targets of symbolic links that lead out of the source folder (refused by default). */
  followSymlinks?: boolean;
}

export interface ScanStats {
  /** Files in the items (OVA members count one each). */
  files: number;
  bytes: number;
  /** Bytes actually read to hash (0 when everything came from the hash cache). */
  hashedBytes: number;
  /** Files (or OVA members) whose hash came from the cache. */
  cachedFiles: number;
}

export interface ScanResult {
  items: SourceItem[];
  warnings: ContentWarning[];
  stats: ScanStats;
}

/**
 * Files in flight: cache lookups and small files are file system round trips (a 500-file folder is 500 of
 * them); large files are hashed one at a time (below), so at most one large file is read at once.
 */
const PARALLEL_FILES = 16;
/**
 * Large files are hashed one at a time: hashing runs on one thread anyway, and a large file that is done
 * early can start uploading while the others are hashed (early uploads) instead of all finishing together.
 */
const LARGE_FILE = 16 * 1024 * 1024;

type Job =
  | { kind: 'file'; file: PlannedFile; item: string; final: boolean }
  | { kind: 'ova'; plan: Extract<ItemPlan, { kind: 'ova' }> };

interface JobResult {
  sha256?: string;
  /** The file's stat when it was hashed (or found in the cache). */
  stat?: ScannedStat;
  members?: OvaMember[];
}

function jobBytes(job: Job): number {
  return job.kind === 'file' ? job.file.size : job.plan.layout.reduce((n, m) => n + m.size, 0);
}

/**
 * An OVF template with a manifest is checked against it only once all its files are hashed: until then
 * no file of it may leave (bad input must fail before anything is written), so none is reported early.
 */
function checkedAfterHashing(p: ItemPlan): boolean {
  return p.kind === 'files' && p.descriptorName !== undefined && p.files.some((f) => /\.mf$/i.test(f.name));
}

/** Scans root: one item per subfolder, .ova, .iso or other file; see docs for the rules. */
export async function scanSource(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const abs = resolve(root);
  const { plans, warnings } = await planSource(abs, { followSymlinks: opts.followSymlinks === true });
  const jobs: Job[] = plans.flatMap((p): Job[] =>
    p.kind === 'ova'
      ? [{ kind: 'ova', plan: p }]
      : p.files.map((file) => ({ kind: 'file', file, item: p.name, final: !checkedAfterHashing(p) })),
  );
  const total = jobs.reduce((n, j) => n + jobBytes(j), 0);
  const stats: ScanStats = { files: 0, bytes: 0, hashedBytes: 0, cachedFiles: 0 };
  let progressed = 0;
  const tracker = (path: string) => {
    let last = 0;
    return (n: number) => {
      progressed += n - last;
      last = n;
      opts.onProgress?.({ path, bytes: progressed, total });
    };
  };

  const oneLarge = new Limiter(1);
  try {
    const results = await mapLimited(
      jobs,
      PARALLEL_FILES,
      async (job, signal): Promise<JobResult> => {
        if (job.kind === 'ova') {
          const path = job.plan.sourcePath;
          const r = await hashOvaMembers(path, job.plan.layout, {
            ...(opts.hashCache ? { hashCache: opts.hashCache } : {}),
            signal,
            onProgress: tracker(path),
          });
          stats.hashedBytes += r.hashedBytes;
          stats.cachedFiles += r.cachedMembers;
          return { members: r.members };
        }
        const { path, size } = job.file;
        const onProgress = tracker(path);
        try {
          const listed = { size, mtimeMs: job.file.mtimeMs, ino: job.file.ino };
          const hash = () => hashWithCache(opts.hashCache, path, { signal, onProgress, stat: listed });
          const r = size >= LARGE_FILE ? await oneLarge.run(hash) : await hash();
          if (r.stat.size !== size) {
            throw badInput(
              `${path} changed size while claas was scanning`,
              path,
              'run again when it is complete',
            );
          }
          stats.hashedBytes += r.readBytes;
          if (r.cached) {
            stats.cachedFiles++;
            onProgress(size);
          } else if (job.final) {
            opts.onFileHashed?.({
              item: job.item,
              name: job.file.name,
              path,
              size,
              sha256: r.sha256,
              stat: r.stat,
            });
          }
          return { sha256: r.sha256, stat: r.stat };
        } catch (e) {
          throw fsError(e, path);
        }
      },
      opts.signal,
    );

    const items: SourceItem[] = [];
    let next = 0;
    for (const plan of plans) {
      const files: SourceFile[] =
        plan.kind === 'ova'
          ? results[next++]!.members!.map((m) => ({
              name: m.name,
              size: m.size,
              sha256: m.sha256,
              origin: { kind: 'file-range', path: plan.sourcePath, offset: m.offset, length: m.size },
            }))
          : plan.files.map((f) => {
              const r = results[next++]!;
              const origin: SourceFile['origin'] = {
                kind: 'file',
                path: f.path,
                ...(r.stat === undefined ? {} : { stat: r.stat }),
              };
              return { name: f.name, size: f.size, sha256: r.sha256!, origin };
            });
      const descriptorName = plan.descriptorName;
      if (descriptorName !== undefined) {
        const r = await buildOvfItem({
          name: plan.name,
          sourcePath: plan.sourcePath,
          descriptorName,
          files,
          ...(opts.hashCache ? { hashCache: opts.hashCache } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        warnings.push(...r.warnings);
        stats.hashedBytes += r.hashedBytes;
        items.push(r.item);
      } else if (plan.kind === 'files') {
        files.sort((a, b) => compareNames(a.name, b.name));
        items.push({ name: plan.name, description: '', type: plan.type, files, sourcePath: plan.sourcePath });
      }
    }
    for (const item of items) {
      stats.files += item.files.length;
      stats.bytes += item.files.reduce((n, f) => n + f.size, 0);
    }
    return { items, warnings, stats };
  } finally {
    await saveQuietly(opts.hashCache, warnings);
  }
}

/** Saves the hash cache; a cache that cannot be written costs time on the next scan, never this one. */
async function saveQuietly(cache: HashCache | undefined, warnings: ContentWarning[]): Promise<void> {
  try {
    await cache?.save();
  } catch (e) {
    warnings.push({
      message: `the hash cache could not be saved (${(e as Error).message}); the next scan will hash again`,
      input: cache?.file ?? '',
    });
  }
}
