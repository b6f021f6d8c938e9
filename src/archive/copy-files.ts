// Copying a version's files into an archive or out of one (snapshot, restore into a new location) through the
// copy engine (store/transfer.ts): server-side where the stores allow it, streamed otherwise, each file pinned
// to the size and SHA-256 the version recorded, and files already there left alone when an interrupted run
// is continued.

import { copyMany } from '../store/transfer.js';
import type { CopyJob } from '../store/transfer.js';
import type { ObjectStore, WriteSettings } from '../store/types.js';
import type { ArchiveEvent, CopyMethod } from './manifest.js';

export interface FileToCopy {
  /** The file's key in the library (events name it). */
  key: string;
  fromKey: string;
  toKey: string;
  size: number;
  sha256: string;
}

export interface CopyFilesOptions {
  /** Storage class, encryption and tags of server-side copies. */
  write?: WriteSettings;
  /** Leave files the destination holds already (an interrupted run continued). */
  skipPresent?: boolean;
  concurrency?: number;
  /** Server-side copies from this size on go in parts (default 5 GiB; tests lower it). */
  multipartCopyThreshold?: number;
  /** Smallest server-side part (default 512 MiB). */
  copyPartSize?: number;
  onEvent?: (e: ArchiveEvent) => void;
  signal?: AbortSignal;
}

/** Copies the files and counts how each one went ('file': streamed from a local file). */
export async function copyFiles(
  from: ObjectStore,
  to: ObjectStore,
  files: FileToCopy[],
  o: CopyFilesOptions,
): Promise<Record<CopyMethod, number>> {
  const copies: Record<CopyMethod, number> = { present: 0, 'server-side': 0, file: 0, stream: 0 };
  const local = from.features.localPath !== undefined;
  const jobs = new Map<CopyJob, FileToCopy>(
    files.map((f) => [
      { from, fromKey: f.fromKey, toKey: f.toKey, source: { size: f.size, sha256: f.sha256 } },
      f,
    ]),
  );
  await copyMany(to, [...jobs.keys()], {
    ...(o.write === undefined ? {} : { write: o.write }),
    skipPresent: o.skipPresent ?? false,
    concurrency: o.concurrency ?? 4,
    ...(o.multipartCopyThreshold === undefined ? {} : { maxSingleCopy: o.multipartCopyThreshold - 1 }),
    ...(o.copyPartSize === undefined ? {} : { partSize: o.copyPartSize }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    onCopied: (job, r) => {
      const method: CopyMethod = r.method === 'stream' && local ? 'file' : r.method;
      copies[method] += 1;
      o.onEvent?.({ type: 'archive-file', key: jobs.get(job)?.key ?? job.toKey, size: r.bytes, method });
    },
  });
  return copies;
}
