// `claas mirror`: fills a replica the store does not replicate (mode: mirror) with exactly what the origin's
// current version references, in commit order (data files, the version snapshot, item JSON, the item index,
// lib.json last), so a replica is always at a committed version: a run killed mid-way leaves the previous
// version in place and the next run copies only what is still missing.
//
// - Incremental: a key present at the destination with the origin's size and ETag (or, when the ETags differ,
//   with the SHA-256 from the snapshot in its x-amz-meta-sha256) is skipped (mirror-plan.ts).
// - Copies go through the copy engine (store/transfer.ts, see mirror-copy.ts): server-side CopyObject
//   (UploadPartCopy above 5 GiB) when origin and replica share an endpoint; when the writer may not read the
//   origin (AccessDenied) it falls back to streaming: GET from the origin with the origin's credentials, PUT
//   through the destination store, which verifies the SHA-256 from the snapshot. Large objects are spooled to
//   a local file first (resumed with a ranged GET after a kill), so the destination store's resumable
//   multipart upload applies to them.
// - The replica's storage class goes to data files only; JSON documents stay in the default class. A store
//   that does not know the class (an RGW zone without that placement) is asked first and told so.
// - lib.json is written from the bytes read at the start (the version the snapshot describes), never copied
//   at the end: the origin may have committed a newer version meanwhile.
// - Nothing provider-private goes to the replica (issue 16): only what the version references, its snapshot
//   without the publisher identity, and lib.json; the mirror lock is at the origin (mirror-lock.ts) and gc at
//   the replica writes no audit entry there.
// - A destination that refuses the writer is reported as that (mirror-access.ts): which identity, and how to
//   let it write or write with the replica's own credential.
// - A run that changed the replica appends a `mirror` entry (replica, version, what was copied) to the
//   origin's audit log; the replica itself never gets audit entries (they are provider-private).

import { join } from 'node:path';
import { LIB_KEY } from '../publish/layout.js';
import type { HeldLock } from '../publish/lock.js';
import { appendAudit } from '../publish/audit.js';
import { resolveActor } from '../publish/identity.js';
import { collectGarbage } from '../publish/gc.js';
import type { GcResult } from '../publish/gc.js';
import { acquireMirrorLock } from './mirror-lock.js';
import { defaultCheckpointDir } from '../store/s3-checkpoint.js';
import { probeStorageClass } from '../store/s3-storage-class.js';
import type { ObjectStore, WriteSettings } from '../store/types.js';
import { parseLibJson } from '../vcsp/schema.js';
import { listAll } from './consistency.js';
import { explainRefusal } from './mirror-access.js';
import type { MirrorWriterContext } from './mirror-access.js';
import { COPY_OBJECT_LIMIT, copyInCommitOrder } from './mirror-copy.js';
import type { CopyOutcome, MirrorEvent } from './mirror-copy.js';
import { checkDestination, listedOnly, planMirror, readOriginVersion } from './mirror-plan.js';
import type { MirrorPlan, OriginVersion, Tally } from './mirror-plan.js';

export { COPY_OBJECT_LIMIT, SPOOL_THRESHOLD } from './mirror-copy.js';
export type { CopyMethod, MirrorEvent } from './mirror-copy.js';
export type { Tally } from './mirror-plan.js';

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
  /** The origin's audit entry for this run (when it changed the replica and the entry could be written). */
  auditKey?: string;
  ms: number;
}

export interface MirrorOptions {
  /** Replica name (for messages and results). */
  replica: string;
  origin: ObjectStore;
  /** The destination, opened for writing, with or without the replica's storage class for data files. */
  openDestination: (withStorageClass: boolean) => Promise<ObjectStore>;
  /** The replica's storage class for data files (from the configuration). */
  storageClass?: string;
  /** Encryption (and tags) of server-side copies. */
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
  /** Whose credential the destination is written with, to explain a refusal (without: reported as is). */
  writer?: MirrorWriterContext;
}

export const DEFAULT_MIRROR_GC_GRACE_MS = 24 * 3_600_000;

export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCheckpointDir(env), '..', 'mirror-spool');
}

/** The destination, opened with the replica's storage class when the store accepts it. */
interface Destination {
  store: ObjectStore;
  /** The storage class data files get (undefined: the default class). */
  storageClass?: string;
  /** Why the requested class is not used. */
  note?: string;
}

async function openDestination(opts: MirrorOptions, warn: (message: string) => void): Promise<Destination> {
  const requested = opts.storageClass;
  const store = await opts.openDestination(requested !== undefined);
  if (requested === undefined) return { store };
  let note: string | undefined;
  try {
    note = await probeStorageClass(store, requested);
  } catch (e) {
    const refusal = await explainRefusal(e, store, opts.writer);
    store.close();
    throw refusal ?? e;
  }
  if (note === undefined) return { store, storageClass: requested };
  warn(note);
  store.close();
  return { store: await opts.openDestination(false), note };
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
  const dest = await openDestination(opts, warn);
  let lock: HeldLock | undefined;
  try {
    // The lock is at the origin: a lock entry names its holder, which a client's replica must not hold.
    lock = await acquireMirrorLock(origin, opts.replica, dest.store.display);
    const [originIndex, destIndex] = await Promise.all([listAll(origin), listAll(dest.store)]);
    const previousVersion = await checkDestination(dest.store, destIndex, from);
    const plan = await planMirror(
      origin,
      dest.store,
      from,
      { origin: originIndex, dest: destIndex },
      opts.signal,
    );
    emit({
      type: 'plan',
      replica: opts.replica,
      version: from.version,
      ...(previousVersion === undefined ? {} : { previousVersion }),
      objects: plan.refs.length,
      bytes: plan.bytes,
      toCopy: plan.jobs.length,
      toCopyBytes: plan.jobs.reduce((n, j) => n + j.size, 0),
    });
    const copied = await copyInCommitOrder(origin, dest.store, from, plan.jobs, {
      serverSide: opts.serverSide ?? true,
      ...(dest.storageClass === undefined ? {} : { storageClass: dest.storageClass }),
      ...(opts.write === undefined ? {} : { write: opts.write }),
      maxSingleCopy: Math.min(opts.copyObjectLimit ?? COPY_OBJECT_LIMIT, COPY_OBJECT_LIMIT),
      spoolDir: opts.spoolDir ?? defaultSpoolDir(),
      concurrency: opts.concurrency ?? 8,
      emit,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    if (plan.jobs.some((j) => j.ref.kind === 'lib'))
      emit({ type: 'committed', replica: opts.replica, version: from.version });
    const gc =
      (opts.gc ?? true) && plan.jobs.length > 0 && previousVersion !== undefined
        ? await collectGarbage(listedOnly(dest.store, await listAll(dest.store)), {
            graceMs: opts.gcGraceMs ?? DEFAULT_MIRROR_GC_GRACE_MS,
            current: from.snapshot,
            audit: false, // the replica holds no audit log: it is provider-private
          })
        : undefined;
    const result = mirrorResult(opts, { from, dest, plan, copied, previousVersion, gc, warnings, t0 });
    if (plan.jobs.length > 0) await auditMirror(origin, from, result, emit);
    return result;
  } catch (e) {
    throw (await explainRefusal(e, dest.store, opts.writer)) ?? e;
  } finally {
    await lock?.release().catch((e: unknown) => {
      // The entry expires by itself; the next run removes it as stale.
      warnings.push(
        `could not remove the mirror lock entry at ${origin.display}: ${(e as Error)?.message ?? String(e)}`,
      );
    });
    dest.store.close();
  }
}

function mirrorResult(
  opts: MirrorOptions,
  r: {
    from: OriginVersion;
    dest: Destination;
    plan: MirrorPlan;
    copied: CopyOutcome;
    previousVersion: number | undefined;
    gc: GcResult | undefined;
    warnings: string[];
    t0: number;
  },
): MirrorResult {
  const { serverSide, streamed } = r.copied;
  return {
    replica: opts.replica,
    from: opts.origin.display,
    to: r.dest.store.display,
    version: r.from.version,
    ...(r.previousVersion === undefined ? {} : { previousVersion: r.previousVersion }),
    upToDate: r.plan.jobs.length === 0,
    copied: { objects: serverSide.objects + streamed.objects, bytes: serverSide.bytes + streamed.bytes },
    serverSide,
    streamed,
    skipped: r.plan.skipped,
    repaired: r.plan.jobs.filter((j) => j.repair).map((j) => j.ref.key),
    ...(opts.storageClass === undefined
      ? {}
      : {
          storageClass: {
            requested: opts.storageClass,
            applied: r.dest.storageClass !== undefined,
            ...(r.dest.note === undefined ? {} : { note: r.dest.note }),
          },
        }),
    ...(r.gc === undefined ? {} : { gc: { deleted: r.gc.deleted.length, kept: r.gc.kept } }),
    warnings: [...r.warnings, ...r.copied.warnings],
    ms: Date.now() - r.t0,
  };
}

/** The origin's `mirror` audit entry; a failure to write it is a warning (the replica is already there). */
async function auditMirror(
  origin: ObjectStore,
  from: OriginVersion,
  r: MirrorResult,
  emit: (e: MirrorEvent) => void,
): Promise<void> {
  try {
    const entry = await appendAudit(origin, {
      action: 'mirror',
      actor: await resolveActor(origin),
      library: { id: from.lib.id, name: from.lib.name, version: from.version },
      summary: `mirrored library version ${from.version} to replica ${r.replica} (${r.to})`,
      details: {
        replica: r.replica,
        location: r.to,
        ...(r.previousVersion === undefined ? {} : { replicaPreviousVersion: r.previousVersion }),
        objects: r.copied.objects,
        bytes: r.copied.bytes,
        serverSide: r.serverSide.objects,
        streamed: r.streamed.objects,
        repaired: r.repaired.length,
      },
    });
    r.auditKey = entry.key;
  } catch (e) {
    const message = `could not append the mirror entry to the audit log of ${origin.display}: ${(e as Error)?.message ?? String(e)}`;
    r.warnings.push(message);
    emit({ type: 'warning', message });
  }
}

/** Reads the version lib.json names at the origin (for --watch polling). One GET. */
export async function originVersion(origin: ObjectStore): Promise<number | undefined> {
  const bytes = await origin.readBytes(LIB_KEY);
  if (bytes === undefined) return undefined;
  return Number(parseLibJson(bytes.toString('utf8'), `${origin.display}/${LIB_KEY}`).version);
}
