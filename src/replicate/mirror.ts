// `claas mirror`: fills a replica the store does not replicate (mode: mirror) with exactly what the origin's
// current version references, in commit order (data files, the version snapshot, item JSON, the item index,
// lib.json last), so a replica is always at a committed version: a run killed mid-way leaves the previous
// version in place and the next run copies only what is still missing.
//
// - Incremental: a key present at the destination with the origin's size and ETag (or, when the ETags differ,
//   with the SHA-256 from the snapshot in its x-amz-meta-sha256) is skipped.
// - Server-side CopyObject (UploadPartCopy above 5 GiB) when origin and replica share an endpoint; when the
//   writer may not read the origin (AccessDenied) it falls back to streaming: GET from the origin with the
//   origin's credentials, PUT through the destination store, which verifies the SHA-256 from the snapshot.
//   Large objects are spooled to a local file first (resumed with a ranged GET after a kill), so the
//   destination store's resumable multipart upload applies to them.
// - The replica's storage class goes to data files only; JSON documents stay in the default class.
// - lib.json is written from the bytes read at the start (the version the snapshot describes), never copied
//   at the end: the origin may have committed a newer version meanwhile.

import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { S3Client, StorageClass } from '@aws-sdk/client-s3';
import { ClaasError, isClaasError } from '../errors.js';
import { LIB_KEY, isClaasManagedKey, isInternalKey, snapshotKey } from '../publish/layout.js';
import { acquireLock } from '../publish/lock.js';
import type { HeldLock } from '../publish/lock.js';
import { collectGarbage } from '../publish/gc.js';
import type { GcResult } from '../publish/gc.js';
import { defaultCheckpointDir } from '../store/s3-checkpoint.js';
import { isAwsEndpoint } from '../store/endpoints.js';
import { httpStatus, mapS3Error, s3ErrorCode } from '../store/s3-errors.js';
import { choosePartSize, GiB, MiB } from '../store/s3-part-size.js';
import type { ObjectStore, S3Location, WriteSettings } from '../store/types.js';
import { mapLimited } from '../util/pool.js';
import { parseLibJson, parseSnapshot } from '../vcsp/schema.js';
import type { LibJson, VersionSnapshot } from '../vcsp/types.js';
import { listAll, referencedKeys } from './consistency.js';
import type { ListedObject, ListingIndex, ReferencedKey } from './consistency.js';
import type { ConfiguredStore } from './open-stores.js';

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

export interface Tally {
  objects: number;
  bytes: number;
}

export interface MirrorResult {
  replica: string;
  from: string;
  to: string;
  version: number;
  previousVersion?: number;
  upToDate: boolean;
  copied: Tally;
  serverSide: Tally;
  streamed: Tally;
  skipped: Tally;
  /** Keys that were present with the wrong size or content and were written again. */
  repaired: string[];
  storageClass?: { requested: string; applied: boolean; note?: string };
  gc?: { deleted: number; kept: number };
  warnings: string[];
  ms: number;
}

export interface MirrorOptions {
  /** Replica name (for messages and results). */
  replica: string;
  origin: ConfiguredStore;
  /** The destination, opened for writing, with or without the replica's storage class for data files. */
  openDestination: (withStorageClass: boolean) => Promise<ConfiguredStore>;
  /** The replica's storage class for data files (from the configuration). */
  storageClass?: string;
  /** Encryption for documents written with the client directly (multipart copies). */
  write?: WriteSettings;
  /** Try server-side copies (default true; only used when origin and replica share an endpoint). */
  serverSide?: boolean;
  /** Objects copied at once (default 8). */
  concurrency?: number;
  /** Objects above this size are copied with UploadPartCopy (default and maximum 5 GiB). */
  copyObjectLimit?: number;
  /** Where large streamed objects are spooled (default <CLAAS_STATE_DIR>/mirror-spool). */
  spoolDir?: string;
  /** Garbage-collect the replica after the commit (default true) with this grace (default 24 h). */
  gc?: boolean;
  gcGraceMs?: number;
  onEvent?: (e: MirrorEvent) => void;
  signal?: AbortSignal;
}

export const DEFAULT_MIRROR_GC_GRACE_MS = 24 * 3_600_000;

interface Job {
  ref: ReferencedKey | { key: string; kind: 'lib' };
  size: number;
  source: ListedObject;
  repair: boolean;
}

/** The origin's committed version: lib.json's bytes (written last, as they were read) and its snapshot. */
interface OriginVersion {
  libBytes: Buffer;
  lib: LibJson;
  version: number;
  snapshot: VersionSnapshot;
}

async function readOriginVersion(origin: ObjectStore): Promise<OriginVersion> {
  const libBytes = await origin.readBytes(LIB_KEY);
  if (libBytes === undefined) {
    throw new ClaasError('NOT_FOUND', `${origin.display} holds no library (no lib.json)`, {
      input: `${origin.display}/${LIB_KEY}`,
      hint: 'publish to the origin first: claas publish <folder> --config claas.yaml',
    });
  }
  const lib = parseLibJson(libBytes.toString('utf8'), `${origin.display}/${LIB_KEY}`);
  const version = Number(lib.version);
  const snapBytes = await origin.readBytes(snapshotKey(version));
  if (snapBytes === undefined) {
    throw new ClaasError(
      'NOT_A_LIBRARY',
      `${origin.display}: version ${version} has no claas snapshot (${snapshotKey(version)})`,
      {
        input: `${origin.display}/${snapshotKey(version)}`,
        hint: 'claas mirrors libraries claas published (adopt others with claas publish --adopt first)',
      },
    );
  }
  const snapshot = parseSnapshot(snapBytes.toString('utf8'), `${origin.display}/${snapshotKey(version)}`);
  if (snapshot.lib.id !== lib.id) {
    throw new ClaasError('CONFLICT', `${origin.display}: lib.json and its snapshot name other libraries`, {
      input: `${origin.display}/${LIB_KEY}`,
      hint: 'lib.json was changed by another tool; publish again',
    });
  }
  return { libBytes, lib, version, snapshot };
}

interface S3Parts {
  client: S3Client;
  location: S3Location;
  endpointUrl: string;
  url(key?: string): string;
}

function fullKey(loc: S3Location, key: string): string {
  return loc.prefix === '' ? key : `${loc.prefix}/${key}`;
}

/** x-amz-copy-source: bucket/key, each segment URL-encoded. */
function copySource(loc: S3Location, key: string): string {
  return `${loc.bucket}/${fullKey(loc, key).split('/').map(encodeURIComponent).join('/')}`;
}

function isAccessDenied(e: unknown): boolean {
  const code = s3ErrorCode(e);
  return code === 'AccessDenied' || code === 'Forbidden' || httpStatus(e) === 403;
}

function sameEndpoint(a: S3Parts, b: S3Parts): boolean {
  return a.endpointUrl.replace(/\/+$/, '').toLowerCase() === b.endpointUrl.replace(/\/+$/, '').toLowerCase();
}

function sseParams(w: WriteSettings | undefined): Record<string, string> {
  if (w?.sse === undefined) return {};
  return {
    ServerSideEncryption: w.sse.mode,
    ...(w.sse.mode === 'aws:kms' && w.sse.kmsKeyId !== undefined ? { SSEKMSKeyId: w.sse.kmsKeyId } : {}),
  };
}

export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCheckpointDir(env), '..', 'mirror-spool');
}

/**
 * Does the store accept this storage class? S3-compatible stores accept only classes configured there (Ceph
 * RGW: the zone's placement targets); AWS knows them all. One tiny PUT and one DELETE under .claas/tmp/.
 */
async function probeStorageClass(dest: ConfiguredStore, storageClass: string): Promise<string | undefined> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const key = `.claas/tmp/storage-class-probe-${process.pid}-${Date.now()}`;
  try {
    await dest.client.send(
      new PutObjectCommand({
        Bucket: dest.location.bucket,
        Key: fullKey(dest.location, key),
        Body: Buffer.alloc(0),
        ContentLength: 0,
        StorageClass: storageClass as StorageClass,
      }),
    );
  } catch (e) {
    const code = s3ErrorCode(e);
    if (code === 'InvalidStorageClass' || code === 'InvalidArgument' || httpStatus(e) === 400) {
      return (
        `${dest.endpointUrl} does not accept storage class ${storageClass} (${code ?? 'HTTP 400'}); data files ` +
        'are written in the default class. On Ceph RGW, add the class to the zonegroup and zone placement ' +
        `(radosgw-admin zonegroup placement add --placement-id default-placement --storage-class ${storageClass}; ` +
        'radosgw-admin zone placement add ... ; radosgw-admin period update --commit).'
      );
    }
    throw mapS3Error(e, 'write', dest.url(key), dest.endpointUrl);
  }
  await dest.delete([key]);
  return undefined;
}

/** Mirrors the origin's current version into one replica. */
export async function mirrorOnce(opts: MirrorOptions): Promise<MirrorResult> {
  const t0 = Date.now();
  const emit = opts.onEvent ?? (() => {});
  const origin = opts.origin;
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    emit({ type: 'warning', message });
  };
  const from = await readOriginVersion(origin);

  // Storage class: probe stores that may not know it, then open the writer accordingly.
  let storageClass = opts.storageClass;
  let probeDest = await opts.openDestination(storageClass !== undefined);
  let scNote: string | undefined;
  if (storageClass !== undefined && !isAwsEndpoint(probeDest.location.endpoint)) {
    scNote = await probeStorageClass(probeDest, storageClass);
    if (scNote !== undefined) {
      warn(scNote);
      storageClass = undefined;
      probeDest.close();
      probeDest = await opts.openDestination(false);
    }
  }
  const dest = probeDest;

  let lock: HeldLock | undefined;
  try {
    lock = await acquireLock(dest, { operation: `claas mirror from ${origin.display}` });
    const [originIndex, destIndex] = await Promise.all([listAll(origin), listAll(dest)]);
    const previousVersion = await checkDestination(dest, destIndex, from);

    // What to copy, in commit order.
    const refs: Job['ref'][] = [...referencedKeys(from.snapshot), { key: LIB_KEY, kind: 'lib' }];
    const jobs: Job[] = [];
    const skipped: Tally = { objects: 0, bytes: 0 };
    const etagCandidates: Job[] = [];
    for (const ref of refs) {
      const source = ref.kind === 'lib' ? libListing(originIndex, from) : originIndex.objects.get(ref.key);
      if (source === undefined) {
        throw new ClaasError(
          'INTEGRITY',
          `${origin.display}: version ${from.version} references ${ref.key}, which the origin lacks`,
          {
            input: origin.url(ref.key),
            hint: 'the origin is broken (claas status shows it); publish again to repair it',
          },
        );
      }
      const size = ref.kind === 'lib' ? from.libBytes.length : source.size;
      const here = destIndex.objects.get(ref.key);
      if (here !== undefined && here.size === size) {
        const libSame = ref.kind === 'lib' && here.etag !== undefined && here.etag === md5Hex(from.libBytes);
        if (libSame || (ref.kind !== 'lib' && (here.etag === source.etag || here.etag === undefined))) {
          skipped.objects += 1;
          skipped.bytes += size;
          continue;
        }
        if (ref.kind === 'file' && ref.sha256 !== undefined) {
          etagCandidates.push({ ref, size, source, repair: false });
          continue;
        }
      }
      jobs.push({ ref, size, source, repair: here !== undefined });
    }
    // Same size, other ETag: one HEAD each decides (a streamed copy with other part sizes is fine).
    await mapLimited(
      etagCandidates,
      16,
      async (job) => {
        const info = await dest.stat(job.ref.key);
        const want = job.ref.kind === 'file' ? job.ref.sha256 : undefined;
        if (info !== undefined && want !== undefined && info.sha256?.toLowerCase() === want) {
          skipped.objects += 1;
          skipped.bytes += job.size;
        } else {
          jobs.push({ ...job, repair: true });
        }
      },
      opts.signal,
    );
    jobs.sort((a, b) => refs.indexOf(a.ref) - refs.indexOf(b.ref));

    emit({
      type: 'plan',
      replica: opts.replica,
      version: from.version,
      ...(previousVersion === undefined ? {} : { previousVersion }),
      objects: refs.length,
      bytes: refs.reduce(
        (n, r) => n + (r.kind === 'lib' ? from.libBytes.length : (originIndex.objects.get(r.key)?.size ?? 0)),
        0,
      ),
      toCopy: jobs.length,
      toCopyBytes: jobs.reduce((n, j) => n + j.size, 0),
    });

    const copier = new Copier(origin, dest, from, {
      serverSide: (opts.serverSide ?? true) && sameEndpoint(origin, dest),
      ...(storageClass === undefined ? {} : { storageClass }),
      ...(opts.write === undefined ? {} : { write: opts.write }),
      copyObjectLimit: Math.min(opts.copyObjectLimit ?? COPY_OBJECT_LIMIT, COPY_OBJECT_LIMIT),
      spoolDir: opts.spoolDir ?? defaultSpoolDir(),
      emit,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    // Commit order: each phase is durable before the next starts.
    const phases: Job['ref']['kind'][][] = [['file'], ['snapshot'], ['item'], ['items'], ['lib']];
    for (const kinds of phases) {
      const batch = jobs.filter((j) => kinds.includes(j.ref.kind));
      await mapLimited(batch, opts.concurrency ?? 8, (job, signal) => copier.copy(job, signal), opts.signal);
    }
    if (jobs.some((j) => j.ref.kind === 'lib'))
      emit({ type: 'committed', replica: opts.replica, version: from.version });

    let gc: GcResult | undefined;
    if ((opts.gc ?? true) && jobs.length > 0 && previousVersion !== undefined) {
      gc = await collectGarbage(listedOnly(dest, await listAll(dest)), {
        graceMs: opts.gcGraceMs ?? DEFAULT_MIRROR_GC_GRACE_MS,
        current: from.snapshot,
      });
    }
    return {
      replica: opts.replica,
      from: origin.display,
      to: dest.display,
      version: from.version,
      ...(previousVersion === undefined ? {} : { previousVersion }),
      upToDate: jobs.length === 0,
      copied: {
        objects: copier.serverSide.objects + copier.streamed.objects,
        bytes: copier.serverSide.bytes + copier.streamed.bytes,
      },
      serverSide: copier.serverSide,
      streamed: copier.streamed,
      skipped,
      repaired: jobs.filter((j) => j.repair).map((j) => j.ref.key),
      ...(opts.storageClass === undefined
        ? {}
        : {
            storageClass: {
              requested: opts.storageClass,
              applied: storageClass !== undefined,
              ...(scNote === undefined ? {} : { note: scNote }),
            },
          }),
      ...(gc === undefined ? {} : { gc: { deleted: gc.deleted.length, kept: gc.kept } }),
      warnings: [...warnings, ...copier.warnings],
      ms: Date.now() - t0,
    };
  } finally {
    await lock?.release().catch((e: unknown) => {
      // The entry expires by itself; the next run removes it as stale.
      warnings.push(
        `could not remove the lock entry at ${dest.display}: ${(e as Error)?.message ?? String(e)}`,
      );
    });
    dest.close();
  }
}

/**
 * The store with reads of unlisted keys answered "missing" without a request: garbage collection walks back
 * through snapshots that may not exist, and a GET of a missing key is a 403 (not a 404) for a writer whose
 * s3:ListBucket is limited to the library prefix.
 */
function listedOnly(store: ConfiguredStore, index: ListingIndex): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'readBytes') {
        return async (key: string) => (index.objects.has(key) ? target.readBytes(key) : undefined);
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** The origin's lib.json as listed (size and ETag of the bytes read at the start). */
function libListing(index: ListingIndex, from: OriginVersion): ListedObject {
  const listed = index.objects.get(LIB_KEY);
  return {
    key: LIB_KEY,
    size: from.libBytes.length,
    mtime: listed?.mtime ?? new Date(),
    etag: md5Hex(from.libBytes),
  };
}

/**
 * Refuses destinations that hold something else: another library, a newer version of this one, or other
 * data. Returns the version the destination holds now.
 */
async function checkDestination(
  dest: ConfiguredStore,
  index: ListingIndex,
  from: OriginVersion,
): Promise<number | undefined> {
  const bytes = index.objects.has(LIB_KEY) ? await dest.readBytes(LIB_KEY) : undefined;
  if (bytes === undefined) {
    const foreign = [...index.objects.keys()].find((k) => !isInternalKey(k) && !isClaasManagedKey(k));
    if (foreign !== undefined) {
      throw new ClaasError(
        'NOT_A_LIBRARY',
        `${dest.display} is not empty and holds no library (found ${foreign})`,
        {
          input: dest.url(foreign),
          hint: 'mirror into an empty prefix or an earlier mirror of this library',
        },
      );
    }
    return undefined;
  }
  let lib: LibJson;
  try {
    lib = parseLibJson(bytes.toString('utf8'), dest.url(LIB_KEY));
  } catch (e) {
    if (!isClaasError(e)) throw e;
    return undefined; // an unreadable lib.json is overwritten by the commit
  }
  if (lib.id !== from.lib.id) {
    throw new ClaasError(
      'CONFLICT',
      `${dest.display} holds another library (${lib.name}, ${lib.id}) than the origin (${from.lib.name}, ${from.lib.id})`,
      {
        input: dest.url(LIB_KEY),
        hint: 'point the replica at an empty prefix or at a mirror of this library',
      },
    );
  }
  const version = Number(lib.version);
  if (version > from.version) {
    throw new ClaasError(
      'CONFLICT',
      `${dest.display} is at version ${version}, newer than the origin's ${from.version}`,
      {
        input: dest.url(LIB_KEY),
        hint: 'the origin went back (restored from a backup?): publish to the origin again so its version is higher',
      },
    );
  }
  return version;
}

interface CopierOptions {
  serverSide: boolean;
  storageClass?: string;
  write?: WriteSettings;
  copyObjectLimit: number;
  spoolDir: string;
  emit: (e: MirrorEvent) => void;
  signal?: AbortSignal;
}

class Copier {
  readonly serverSide: Tally = { objects: 0, bytes: 0 };
  readonly streamed: Tally = { objects: 0, bytes: 0 };
  readonly warnings: string[] = [];
  private useServerSide: boolean;

  constructor(
    private readonly origin: ConfiguredStore,
    private readonly dest: ConfiguredStore,
    private readonly from: OriginVersion,
    private readonly opts: CopierOptions,
  ) {
    this.useServerSide = opts.serverSide;
  }

  async copy(job: Job, signal: AbortSignal): Promise<void> {
    const key = job.ref.key;
    if (job.ref.kind === 'lib') {
      // The bytes read at the start: the version whose files were just copied.
      this.opts.emit({ type: 'copy-start', key, size: job.size, method: 'streamed' });
      await this.dest.put(
        key,
        { kind: 'bytes', data: this.from.libBytes },
        { contentType: 'application/json', role: 'metadata', signal },
      );
      this.done(job, 'streamed');
      return;
    }
    if (this.useServerSide) {
      this.opts.emit({ type: 'copy-start', key, size: job.size, method: 'server-side' });
      try {
        await this.serverSideCopy(job, signal);
        this.done(job, 'server-side');
        return;
      } catch (e) {
        if (!isAccessDenied(e) || !this.useServerSide) throw this.mapped(e, key);
        this.useServerSide = false;
        const reason =
          `server-side copy refused (${s3ErrorCode(e) ?? 'AccessDenied'}): the replica's writer may not read ` +
          `${this.origin.display}; streaming through this machine instead`;
        this.warnings.push(reason);
        this.opts.emit({ type: 'fallback', reason });
      }
    }
    this.opts.emit({ type: 'copy-start', key, size: job.size, method: 'streamed' });
    await this.streamCopy(job, signal);
    this.done(job, 'streamed');
  }

  private done(job: Job, method: CopyMethod): void {
    const t = method === 'server-side' ? this.serverSide : this.streamed;
    t.objects += 1;
    t.bytes += job.size;
    this.opts.emit({ type: 'copied', key: job.ref.key, size: job.size, method });
  }

  private mapped(e: unknown, key: string): unknown {
    if (isClaasError(e) || (e as Error)?.name === 'AbortError') return e;
    return mapS3Error(e, 'write', this.dest.url(key), this.dest.endpointUrl);
  }

  private isData(job: Job): boolean {
    return job.ref.kind === 'file';
  }

  private async serverSideCopy(job: Job, signal: AbortSignal): Promise<void> {
    const { CopyObjectCommand } = await import('@aws-sdk/client-s3');
    const key = job.ref.key;
    const data = this.isData(job);
    if (job.size > this.opts.copyObjectLimit) {
      await this.multipartCopy(job, signal);
      return;
    }
    await this.dest.client.send(
      new CopyObjectCommand({
        Bucket: this.dest.location.bucket,
        Key: fullKey(this.dest.location, key),
        CopySource: copySource(this.origin.location, key),
        // Only objects that are still the listed ones (keys are immutable; this catches a concurrent gc).
        ...(job.source.etag === undefined ? {} : { CopySourceIfMatch: `"${job.source.etag}"` }),
        ...(data && this.opts.storageClass !== undefined
          ? { StorageClass: this.opts.storageClass as StorageClass }
          : {}),
        ...sseParams(this.opts.write),
      }),
      { abortSignal: signal },
    );
    this.opts.emit({ type: 'copy-progress', key, bytes: job.size });
  }

  /** UploadPartCopy for objects above the CopyObject limit (5 GiB), parts in parallel. */
  private async multipartCopy(job: Job, signal: AbortSignal): Promise<void> {
    const s3 = await import('@aws-sdk/client-s3');
    const key = job.ref.key;
    const Bucket = this.dest.location.bucket;
    const Key = fullKey(this.dest.location, key);
    const sha256 = job.ref.kind === 'file' ? job.ref.sha256 : undefined;
    const created = await this.dest.client.send(
      new s3.CreateMultipartUploadCommand({
        Bucket,
        Key,
        ContentType: 'application/octet-stream',
        ...(sha256 === undefined ? {} : { Metadata: { sha256 } }),
        ...(this.opts.storageClass !== undefined && this.isData(job)
          ? { StorageClass: this.opts.storageClass as StorageClass }
          : {}),
        ...sseParams(this.opts.write),
      }),
      { abortSignal: signal },
    );
    const UploadId = created.UploadId!;
    const partSize = Math.max(
      choosePartSize(job.size, 64 * MiB),
      Math.min(this.opts.copyObjectLimit, 512 * MiB),
    );
    const count = Math.max(1, Math.ceil(job.size / partSize));
    try {
      const parts = await mapLimited(
        Array.from({ length: count }, (_, i) => i),
        4,
        async (i, partSignal) => {
          const start = i * partSize;
          const end = Math.min(job.size, start + partSize) - 1;
          const out = await this.dest.client.send(
            new s3.UploadPartCopyCommand({
              Bucket,
              Key,
              UploadId,
              PartNumber: i + 1,
              CopySource: copySource(this.origin.location, key),
              CopySourceRange: `bytes=${start}-${end}`,
              ...(job.source.etag === undefined ? {} : { CopySourceIfMatch: `"${job.source.etag}"` }),
            }),
            { abortSignal: partSignal },
          );
          this.opts.emit({ type: 'copy-progress', key, bytes: end - start + 1 });
          return { PartNumber: i + 1, ETag: out.CopyPartResult?.ETag };
        },
        signal,
      );
      await this.dest.client.send(
        new s3.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
        { abortSignal: signal },
      );
    } catch (e) {
      await this.dest.client
        .send(new s3.AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
        .catch(() => undefined);
      throw e;
    }
  }

  /** GET from the origin, PUT through the destination store (which checks the snapshot's SHA-256). */
  private async streamCopy(job: Job, signal: AbortSignal): Promise<void> {
    const key = job.ref.key;
    const data = this.isData(job);
    const sha256 = job.ref.kind === 'file' ? job.ref.sha256 : undefined;
    const common = {
      ...(sha256 === undefined ? {} : { sha256 }),
      contentType: data ? 'application/octet-stream' : 'application/json',
      role: data ? ('data' as const) : ('metadata' as const),
      onProgress: (bytes: number) => this.opts.emit({ type: 'copy-progress', key, bytes }),
      signal,
    };
    if (job.size < SPOOL_THRESHOLD || sha256 === undefined) {
      const bytes = await this.origin.readBytes(key);
      if (bytes === undefined) {
        throw new ClaasError('NOT_FOUND', `${this.origin.url(key)} disappeared while mirroring`, {
          input: this.origin.url(key),
          hint: 'the origin was garbage-collected or changed meanwhile; run claas mirror again',
        });
      }
      await this.dest.put(key, { kind: 'bytes', data: bytes }, common);
      return;
    }
    const spool = await this.spool(key, sha256, job.size, signal);
    try {
      await this.dest.put(key, { kind: 'file', path: spool }, common);
    } catch (e) {
      // Bytes that do not hash right are not worth resuming from.
      if (isClaasError(e, 'INTEGRITY')) await rm(spool, { force: true });
      throw e;
    }
    await rm(spool, { force: true });
  }

  /**
   * Downloads an object to <spoolDir>/<sha256>, continuing a partial file from a previous run with a ranged
   * GET. The destination store verifies the SHA-256 when it uploads the file.
   */
  private async spool(key: string, sha256: string, size: number, signal: AbortSignal): Promise<string> {
    await mkdir(this.opts.spoolDir, { recursive: true });
    const path = join(this.opts.spoolDir, `${sha256}.part`);
    let have = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (have > size) {
      await rm(path, { force: true });
      have = 0;
    }
    if (have < size) {
      const body = await this.origin.read(key, { start: have });
      const out = have === 0 ? createWriteStream(path) : createWriteStream(path, { flags: 'a' });
      let written = 0;
      const counter = new Transform({
        transform: (chunk: Buffer, _enc, cb) => {
          written += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(body, counter, out, { signal });
      const fh = await open(path, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (have + written !== size) {
        throw new ClaasError(
          'INTEGRITY',
          `${this.origin.url(key)}: got ${have + written} bytes, expected ${size}`,
          {
            input: this.origin.url(key),
            hint: 'run claas mirror again',
          },
        );
      }
    }
    return path;
  }
}

/** Reads the version lib.json names at the origin (for --watch polling). One GET. */
export async function originVersion(origin: ObjectStore): Promise<number | undefined> {
  const bytes = await origin.readBytes(LIB_KEY);
  if (bytes === undefined) return undefined;
  return Number(parseLibJson(bytes.toString('utf8'), `${origin.display}/${LIB_KEY}`).version);
}
