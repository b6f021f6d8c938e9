// Copies a mirror plan into the replica in commit order (data files, the version snapshot, item JSON, the item
// index, lib.json last), each phase durable before the next starts, through the copy engine
// (store/transfer.ts): server-side where the stores allow it, streamed otherwise, and streamed for the rest of
// the run once the replica's writer is refused reading the origin. lib.json is written from the bytes read at
// the start (the version the snapshot describes), never copied: the origin may have committed a newer one;
// a snapshot that names its publisher (older claas) is written from bytes too, without that identity (issue 16).

import { GiB, MiB } from '../store/s3-part-size.js';
import { copyMany } from '../store/transfer.js';
import type { CopyJob, CopyResult, TransferEvent } from '../store/transfer.js';
import type { ObjectStore, WriteSettings } from '../store/types.js';
import { writtenBytes } from './mirror-plan.js';
import type { MirrorJob, OriginVersion, Tally } from './mirror-plan.js';

/** Objects up to this size are copied with one CopyObject (S3's limit); larger ones with UploadPartCopy. */
export const COPY_OBJECT_LIMIT = 5 * GiB;
/** Streamed objects from this size on are spooled to a local file (resumable) instead of held in memory. */
export const SPOOL_THRESHOLD = 32 * MiB;

export type CopyMethod = 'server-side' | 'streamed';

export type MirrorEvent =
  | {
      type: 'plan';
      replica: string;
      version: number;
      previousVersion?: number;
      objects: number;
      bytes: number;
      toCopy: number;
      toCopyBytes: number;
    }
  | { type: 'copy-start'; key: string; size: number; method: CopyMethod }
  | { type: 'copy-progress'; key: string; bytes: number }
  | { type: 'copied'; key: string; size: number; method: CopyMethod }
  | { type: 'fallback'; reason: string }
  | { type: 'warning'; message: string }
  | { type: 'committed'; replica: string; version: number };

export interface CopyPhaseOptions {
  /** Try server-side copies (the stores decide whether they can). */
  serverSide: boolean;
  /** The replica's storage class for data files (when the replica accepts it). */
  storageClass?: string;
  /** Encryption and tags of server-side copies. */
  write?: WriteSettings;
  maxSingleCopy: number;
  spoolDir: string;
  concurrency: number;
  emit: (e: MirrorEvent) => void;
  signal?: AbortSignal;
}

export interface CopyOutcome {
  serverSide: Tally;
  streamed: Tally;
  warnings: string[];
}

const PHASES: MirrorJob['ref']['kind'][] = ['file', 'snapshot', 'item', 'items', 'lib'];

/** Copies the jobs phase by phase; returns what went which way. */
export async function copyInCommitOrder(
  origin: ObjectStore,
  dest: ObjectStore,
  from: OriginVersion,
  jobs: MirrorJob[],
  o: CopyPhaseOptions,
): Promise<CopyOutcome> {
  const out: CopyOutcome = {
    serverSide: { objects: 0, bytes: 0 },
    streamed: { objects: 0, bytes: 0 },
    warnings: [],
  };
  let serverSide = o.serverSide;
  for (const kind of PHASES) {
    const batch = jobs.filter((j) => j.ref.kind === kind);
    if (batch.length === 0) continue;
    if (kind === 'lib' || (kind === 'snapshot' && from.strippedSnapshot !== undefined)) {
      for (const job of batch) add(out.streamed, await writeDocument(dest, job, from, o));
      continue;
    }
    const results = await copyMany(
      dest,
      batch.map((job) => copyJob(origin, job)),
      {
        concurrency: o.concurrency,
        serverSide,
        write: {
          ...(o.write ?? {}),
          ...(o.storageClass === undefined ? {} : { storageClass: o.storageClass }),
        },
        maxSingleCopy: o.maxSingleCopy,
        spool: { dir: o.spoolDir, minSize: SPOOL_THRESHOLD },
        onEvent: (e) => relay(e, o.emit, out.warnings),
        ...(o.signal === undefined ? {} : { signal: o.signal }),
      },
    );
    tally(out, results);
    if (results.some((r) => r.fallback !== undefined)) serverSide = false;
  }
  return out;
}

function copyJob(origin: ObjectStore, job: MirrorJob): CopyJob {
  const data = job.ref.kind === 'file';
  const sha256 = job.ref.kind === 'file' ? job.ref.sha256 : undefined;
  return {
    from: origin,
    fromKey: job.ref.key,
    toKey: job.ref.key,
    // Only objects that are still the listed ones (keys are immutable; this catches a concurrent gc).
    source: {
      size: job.size,
      ...(job.source.etag === undefined ? {} : { etag: job.source.etag }),
      ...(sha256 === undefined ? {} : { sha256 }),
    },
    contentType: data ? 'application/octet-stream' : 'application/json',
    role: data ? 'data' : 'metadata',
  };
}

/**
 * lib.json from the bytes read at the start (the version whose files were just copied), and the version's
 * snapshot as a client may see it (without identities: mirror-plan.ts). Returns the bytes written.
 */
async function writeDocument(
  dest: ObjectStore,
  job: MirrorJob,
  from: OriginVersion,
  o: CopyPhaseOptions,
): Promise<number> {
  const data = writtenBytes(job.ref, from) ?? from.libBytes;
  const key = job.ref.key;
  o.emit({ type: 'copy-start', key, size: data.length, method: 'streamed' });
  await dest.put(
    key,
    { kind: 'bytes', data },
    {
      contentType: 'application/json',
      role: 'metadata',
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    },
  );
  o.emit({ type: 'copied', key, size: data.length, method: 'streamed' });
  return data.length;
}

function add(t: Tally, bytes: number): void {
  t.objects += 1;
  t.bytes += bytes;
}

function tally(out: CopyOutcome, results: CopyResult[]): void {
  for (const r of results) add(r.method === 'server-side' ? out.serverSide : out.streamed, r.bytes);
}

/** The engine's events as mirror events. */
function relay(e: TransferEvent, emit: (e: MirrorEvent) => void, warnings: string[]): void {
  const method = (m: string): CopyMethod => (m === 'server-side' ? 'server-side' : 'streamed');
  switch (e.type) {
    case 'start':
      emit({ type: 'copy-start', key: e.key, size: e.size, method: method(e.method) });
      break;
    case 'progress':
      emit({ type: 'copy-progress', key: e.key, bytes: e.bytes });
      break;
    case 'done':
      emit({ type: 'copied', key: e.key, size: e.size, method: method(e.method) });
      break;
    case 'fallback':
      warnings.push(e.reason);
      emit({ type: 'fallback', reason: e.reason });
      break;
    default:
      break;
  }
}
