// The copy engine: one stored object to another key or store, as rclone's operations.Copy does it. In order:
//   1. present: with skipPresent, a destination that holds the object (same size, and the same SHA-256 where
//      the store keeps one) is left alone: an interrupted run resumes where it stopped;
//   2. server-side: when the destination can copy from the source without the bytes passing through claas
//      (features.copy: S3 CopyObject/UploadPartCopy on one endpoint, a link or clone between local folders),
//      pinned to the planned source (ETag, size, SHA-256). Credentials that may not read the source
//      (FORBIDDEN) fall back to streaming;
//   3. stream: read from the source in parts, each read again whole when its connection breaks, and put into
//      the destination with the planned SHA-256, so the destination refuses bytes that are not the planned
//      ones (a source changed since planning). Large objects can be spooled to a local file first, which
//      resumes after a kill and gives the destination a re-readable file.
// Callers (mirror, archive snapshot and restore, rollback, import) get events as parts complete and a result
// naming the method that ran.

import { Readable } from 'node:stream';
import { rm } from 'node:fs/promises';
import { ClaasError, isClaasError } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import { underlyingCode } from './s3-errors.js';
import type { RetryPolicy } from './s3-retry.js';
import { readParts, readWhole, spoolObject } from './transfer-read.js';
import type { ReadOptions } from './transfer-read.js';
import type {
  CopyFromOptions,
  CopySourceCondition,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutSource,
  WriteSettings,
} from './types.js';

export type CopyMethod = 'present' | 'server-side' | 'stream';

export type TransferEvent =
  | { type: 'start'; key: string; size: number; method: Exclude<CopyMethod, 'present'> }
  | { type: 'progress'; key: string; bytes: number }
  /** A failed request or part is sent again whole. */
  | { type: 'retry'; key: string; attempt: number; error: string }
  /** The server-side copy was refused; the object is streamed instead. */
  | { type: 'fallback'; key: string; reason: string }
  | { type: 'done'; key: string; size: number; method: CopyMethod };

export interface CopyOptions {
  /** The object as planned: the copy is refused when the source is no longer it. */
  source: CopySourceCondition;
  contentType?: string;
  /** 'metadata' for JSON documents: the store's encryption, never its storage class or tags. */
  role?: PutOptions['role'];
  /** Storage class, encryption and tags of server-side copies (streamed ones get the destination's own). */
  write?: WriteSettings;
  /** Server-side copies without an encryption in `write` keep the source's (see CopyFromOptions). */
  keepSourceEncryption?: boolean;
  /** Leave a destination that holds the object alone (resume). */
  skipPresent?: boolean;
  /** Try a server-side copy first (default true). */
  serverSide?: boolean;
  /** Server-side copies above this size go in parts (default and maximum 5 GiB; tests lower it). */
  maxSingleCopy?: number;
  /** Smallest server-side part (default 512 MiB). */
  partSize?: number;
  /** Stream objects from minSize on through a file in dir (resumable); only for objects with a SHA-256. */
  spool?: { dir: string; minSize: number };
  /** Tries of a broken streamed read part (server-side requests use the destination store's policy). */
  retry?: RetryPolicy;
  onEvent?: (e: TransferEvent) => void;
  signal?: AbortSignal;
}

export interface CopyResult {
  key: string;
  method: CopyMethod;
  bytes: number;
  /** Requests or read parts sent again. */
  retries: number;
  /** Why a server-side copy was not used although the stores allow one (it was refused). */
  fallback?: string;
}

/** Copies from/fromKey to to/toKey and says how. */
export async function copyObject(
  from: ObjectStore,
  fromKey: string,
  to: ObjectStore,
  toKey: string,
  o: CopyOptions,
): Promise<CopyResult> {
  o.signal?.throwIfAborted();
  const emit = o.onEvent ?? (() => undefined);
  const size = o.source.size;
  let retries = 0;
  const onRetry = (error: unknown, attempt: number): void => {
    retries += 1;
    emit({ type: 'retry', key: toKey, attempt, error: (error as Error)?.message ?? String(error) });
  };
  const onProgress = (bytes: number): void => emit({ type: 'progress', key: toKey, bytes });
  const done = (method: CopyMethod, fallback?: string): CopyResult => {
    emit({ type: 'done', key: toKey, size, method });
    return { key: toKey, method, bytes: size, retries, ...(fallback === undefined ? {} : { fallback }) };
  };

  if (o.skipPresent === true && (await isPresent(to, toKey, o.source))) return done('present');
  let fallback: string | undefined;
  const server = to.features.copy;
  if (o.serverSide !== false && server?.canCopyFrom(from) === true) {
    emit({ type: 'start', key: toKey, size, method: 'server-side' });
    try {
      await server.copyFrom(from, fromKey, toKey, serverOptions(o, onProgress, onRetry));
      return done('server-side');
    } catch (e) {
      if (!isClaasError(e, 'FORBIDDEN')) throw e;
      fallback =
        `server-side copy refused (${underlyingCode(e) ?? e.code}): the writer of ${to.display} may not read ` +
        `${from.display}; streaming through this machine instead`;
      emit({ type: 'fallback', key: toKey, reason: fallback });
    }
  }
  emit({ type: 'start', key: toKey, size, method: 'stream' });
  await streamCopy(from, fromKey, to, toKey, o, { onProgress, onRetry });
  return done('stream', fallback);
}

function serverOptions(
  o: CopyOptions,
  onProgress: (bytes: number) => void,
  onRetry: (error: unknown, attempt: number) => void,
): CopyFromOptions {
  const { source, contentType, write, keepSourceEncryption, role, maxSingleCopy, partSize, signal } = o;
  return {
    source,
    contentType,
    write,
    keepSourceEncryption,
    role,
    maxSingleCopy,
    partSize,
    signal,
    onProgress,
    onRetry,
  };
}

/** The destination holds the planned object: same size, and the same SHA-256 where the store keeps one. */
async function isPresent(to: ObjectStore, key: string, source: CopySourceCondition): Promise<boolean> {
  const there: ObjectInfo | undefined =
    to.features.stat !== undefined ? await to.features.stat(key) : await to.head(key);
  if (there === undefined || there.size !== source.size) return false;
  const stored = there.sha256?.toLowerCase();
  return stored === undefined || source.sha256 === undefined || stored === source.sha256.toLowerCase();
}

/** Read from the source, put into the destination, which checks the planned SHA-256 while it writes. */
async function streamCopy(
  from: ObjectStore,
  fromKey: string,
  to: ObjectStore,
  toKey: string,
  o: CopyOptions,
  hooks: { onProgress: (bytes: number) => void; onRetry: (error: unknown, attempt: number) => void },
): Promise<void> {
  const { size, sha256 } = o.source;
  const put: PutOptions = {
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(o.contentType === undefined ? {} : { contentType: o.contentType }),
    ...(o.role === undefined ? {} : { role: o.role }),
    onProgress: hooks.onProgress,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
  };
  const read: ReadOptions = {
    size,
    ...(o.retry === undefined ? {} : { retry: o.retry }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    onRetry: hooks.onRetry,
  };
  const local = from.features.localPath?.(fromKey);
  if (local !== undefined) {
    await checkLocalSource(from, fromKey, size);
    await to.put(toKey, { kind: 'file', path: local }, put);
    return;
  }
  if (sha256 === undefined) {
    // Without a hash the destination cannot check a stream before it commits: small documents, in memory.
    await to.put(toKey, { kind: 'bytes', data: await readWhole(from, fromKey, read) }, put);
    return;
  }
  if (o.spool !== undefined && size >= o.spool.minSize) {
    const path = await spoolObject(from, fromKey, o.spool.dir, sha256, read);
    try {
      await to.put(toKey, { kind: 'file', path }, put);
    } catch (e) {
      // Bytes that do not hash right are not worth resuming from.
      if (isClaasError(e, 'INTEGRITY')) await rm(path, { force: true });
      throw e;
    }
    await rm(path, { force: true });
    return;
  }
  const source: PutSource = {
    kind: 'stream',
    size,
    open: () => Promise.resolve(Readable.from(readParts(from, fromKey, read), { objectMode: false })),
    describe: `${from.display}/${fromKey}`,
  };
  await to.put(toKey, source, put);
}

/** A local source must still have the planned size (its SHA-256 is checked by the put). */
async function checkLocalSource(from: ObjectStore, key: string, size: number): Promise<void> {
  const there = await from.head(key);
  const input = `${from.display}/${key}`;
  if (there === undefined) throw new ClaasError('NOT_FOUND', `${input} does not exist`, { input });
  if (there.size !== size) {
    throw new ClaasError('INTEGRITY', `${input} has ${there.size} bytes, expected ${size}`, {
      input,
      hint: 'the source was changed or damaged since the copy was planned; run `claas verify --deep` on it',
    });
  }
}

/** One object of a batch: where it comes from, where it goes, what it must be. */
export interface CopyJob {
  from: ObjectStore;
  fromKey: string;
  toKey: string;
  source: CopySourceCondition;
  contentType?: string;
  role?: PutOptions['role'];
}

export interface CopyManyOptions extends Omit<CopyOptions, 'source' | 'contentType' | 'role'> {
  /** Objects copied at once (default 4). */
  concurrency?: number;
  /** Called as each object is done (in completion order). */
  onCopied?: (job: CopyJob, result: CopyResult) => void;
}

/**
 * Copies a batch into `to`, `concurrency` at a time; the first failure stops the batch. Once a server-side
 * copy from a store is refused, the batch's other objects from that store are streamed at once (and the
 * fallback is reported once).
 */
export async function copyMany(
  to: ObjectStore,
  jobs: readonly CopyJob[],
  o: CopyManyOptions = {},
): Promise<CopyResult[]> {
  const refused = new Set<ObjectStore>();
  const { concurrency, onCopied, onEvent, ...shared } = o;
  return mapLimited(
    jobs,
    concurrency ?? 4,
    async (job, signal) => {
      const result = await copyObject(job.from, job.fromKey, to, job.toKey, {
        ...shared,
        source: job.source,
        ...(job.contentType === undefined ? {} : { contentType: job.contentType }),
        ...(job.role === undefined ? {} : { role: job.role }),
        serverSide: shared.serverSide !== false && !refused.has(job.from),
        signal,
        ...(onEvent === undefined
          ? {}
          : {
              onEvent: (e: TransferEvent) => {
                if (e.type !== 'fallback' || !refused.has(job.from)) onEvent(e);
                if (e.type === 'fallback') refused.add(job.from);
              },
            }),
      });
      if (result.fallback !== undefined) refused.add(job.from);
      onCopied?.(job, result);
      return result;
    },
    o.signal,
  );
}
