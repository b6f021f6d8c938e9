// What `claas mirror` copies: the origin's committed version (lib.json as read, its snapshot), the replica's
// state (refused when it holds another library, a newer version or foreign data), and the keys the version
// references that the replica lacks or holds with other bytes, in commit order. Decided from one listing of
// each store; a HEAD only where sizes match and ETags differ (the SHA-256 claas stored decides). The version's
// snapshot goes to the replica as a client may see it: without the publisher identity older snapshots carry.

import { createHash } from 'node:crypto';
import { ClaasError, isClaasError } from '../errors.js';
import { LIB_KEY, isClaasManagedKey, isInternalKey, snapshotKey } from '../publish/layout.js';
import { publicSnapshot, snapshotNamesIdentity } from '../publish/state.js';
import type { ObjectStore } from '../store/types.js';
import { mapLimited } from '../util/pool.js';
import { serializeJson } from '../vcsp/build.js';
import { parseLibJson, parseSnapshot } from '../vcsp/schema.js';
import type { LibJson, VersionSnapshot } from '../vcsp/types.js';
import { referencedKeys } from './consistency.js';
import type { ListedObject, ListingIndex, ReferencedKey } from './consistency.js';

/** The origin's committed version: lib.json's bytes (written last, as they were read) and its snapshot. */
export interface OriginVersion {
  libBytes: Buffer;
  lib: LibJson;
  version: number;
  snapshot: VersionSnapshot;
  /** The snapshot without the publisher identity, when the origin's names one (older claas): written, not copied. */
  strippedSnapshot?: Buffer;
}

export type MirrorRef = ReferencedKey | { key: string; kind: 'lib' };

/** Documents mirror writes from bytes it holds (never copies): lib.json, and a snapshot stripped of identity. */
export function writtenBytes(ref: MirrorRef, from: OriginVersion): Buffer | undefined {
  return ref.kind === 'lib' ? from.libBytes : ref.kind === 'snapshot' ? from.strippedSnapshot : undefined;
}

/** One object to copy: what the version references, its size, the origin's listing of it. */
export interface MirrorJob {
  ref: MirrorRef;
  size: number;
  source: ListedObject;
  /** Present at the replica with the wrong size or content: written again. */
  repair: boolean;
}

export interface Tally {
  objects: number;
  bytes: number;
}

export interface MirrorPlan {
  /** Everything the version consists of, in commit order (lib.json last). */
  refs: MirrorRef[];
  /** What to copy, in commit order. */
  jobs: MirrorJob[];
  skipped: Tally;
  /** Size of the whole version. */
  bytes: number;
}

const where = (store: ObjectStore, key: string): string => `${store.display}/${key}`;

export async function readOriginVersion(origin: ObjectStore): Promise<OriginVersion> {
  const libBytes = await origin.readBytes(LIB_KEY);
  if (libBytes === undefined) {
    throw new ClaasError('NOT_FOUND', `${origin.display} holds no library (no lib.json)`, {
      input: where(origin, LIB_KEY),
      hint: 'publish to the origin first: claas publish <folder> --config claas.yaml',
    });
  }
  const lib = parseLibJson(libBytes.toString('utf8'), where(origin, LIB_KEY));
  const version = Number(lib.version);
  const snapBytes = await origin.readBytes(snapshotKey(version));
  if (snapBytes === undefined) {
    throw new ClaasError(
      'NOT_A_LIBRARY',
      `${origin.display}: version ${version} has no claas snapshot (${snapshotKey(version)})`,
      {
        input: where(origin, snapshotKey(version)),
        hint: 'claas mirrors libraries claas published (adopt others with claas publish --adopt first)',
      },
    );
  }
  const snapshot = parseSnapshot(snapBytes.toString('utf8'), where(origin, snapshotKey(version)));
  if (snapshot.lib.id !== lib.id) {
    throw new ClaasError('CONFLICT', `${origin.display}: lib.json and its snapshot name other libraries`, {
      input: where(origin, LIB_KEY),
      hint: 'lib.json was changed by another tool; publish again',
    });
  }
  return {
    libBytes,
    lib,
    version,
    snapshot,
    ...(snapshotNamesIdentity(snapshot)
      ? { strippedSnapshot: Buffer.from(serializeJson(publicSnapshot(snapshot))) }
      : {}),
  };
}

/**
 * Refuses destinations that hold something else: another library, a newer version of this one, or other
 * data. Returns the version the destination holds now.
 */
export async function checkDestination(
  dest: ObjectStore,
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
          input: where(dest, foreign),
          hint: 'mirror into an empty prefix or an earlier mirror of this library',
        },
      );
    }
    return undefined;
  }
  let lib: LibJson;
  try {
    lib = parseLibJson(bytes.toString('utf8'), where(dest, LIB_KEY));
  } catch (e) {
    if (!isClaasError(e)) throw e;
    return undefined; // an unreadable lib.json is overwritten by the commit
  }
  if (lib.id !== from.lib.id) {
    throw new ClaasError(
      'CONFLICT',
      `${dest.display} holds another library (${lib.name}, ${lib.id}) than the origin (${from.lib.name}, ${from.lib.id})`,
      {
        input: where(dest, LIB_KEY),
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
        input: where(dest, LIB_KEY),
        hint: 'the origin went back (restored from a backup?): publish to the origin again so its version is higher',
      },
    );
  }
  return version;
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** A document mirror writes from bytes (lib.json, the snapshot) as listed: the size and MD5 of those bytes. */
function writtenListing(index: ListingIndex, key: string, bytes: Buffer): ListedObject {
  const listed = index.objects.get(key);
  return { key, size: bytes.length, mtime: listed?.mtime ?? new Date(), etag: md5Hex(bytes) };
}

/**
 * The jobs: every key of the version the replica lacks or holds with another size or content. A key present
 * with the origin's size and ETag is skipped; with the same size and another ETag (a streamed copy with other
 * part sizes is fine) one HEAD compares the SHA-256 claas stored with the snapshot's.
 */
export async function planMirror(
  origin: ObjectStore,
  dest: ObjectStore,
  from: OriginVersion,
  indexes: { origin: ListingIndex; dest: ListingIndex },
  signal?: AbortSignal,
): Promise<MirrorPlan> {
  const refs: MirrorRef[] = [...referencedKeys(from.snapshot), { key: LIB_KEY, kind: 'lib' }];
  const jobs: MirrorJob[] = [];
  const skipped: Tally = { objects: 0, bytes: 0 };
  const skip = (size: number): void => {
    skipped.objects += 1;
    skipped.bytes += size;
  };
  const etagCandidates: MirrorJob[] = [];
  for (const ref of refs) {
    const written = writtenBytes(ref, from);
    const listed = indexes.origin.objects.get(ref.key);
    const source =
      written === undefined || (ref.kind !== 'lib' && listed === undefined)
        ? listed
        : writtenListing(indexes.origin, ref.key, written);
    if (source === undefined) {
      throw new ClaasError(
        'INTEGRITY',
        `${origin.display}: version ${from.version} references ${ref.key}, which the origin lacks`,
        {
          input: where(origin, ref.key),
          hint: 'the origin is broken (claas status shows it); publish again to repair it',
        },
      );
    }
    const size = source.size;
    const here = indexes.dest.objects.get(ref.key);
    if (here !== undefined && here.size === size) {
      const same =
        written !== undefined
          ? here.etag !== undefined && here.etag === source.etag
          : here.etag === source.etag || here.etag === undefined;
      if (same || (ref.kind === 'snapshot' && here.etag === undefined)) {
        skip(size);
        continue;
      }
      if (ref.kind === 'file' && ref.sha256 !== undefined) {
        etagCandidates.push({ ref, size, source, repair: false });
        continue;
      }
    }
    jobs.push({ ref, size, source, repair: here !== undefined });
  }
  await mapLimited(
    etagCandidates,
    16,
    async (job) => {
      const info = await dest.features.stat?.(job.ref.key);
      const want = job.ref.kind === 'file' ? job.ref.sha256 : undefined;
      if (info !== undefined && want !== undefined && info.sha256?.toLowerCase() === want) skip(job.size);
      else jobs.push({ ...job, repair: true });
    },
    signal,
  );
  jobs.sort((a, b) => refs.indexOf(a.ref) - refs.indexOf(b.ref));
  const bytes = refs.reduce(
    (n, r) => n + (writtenBytes(r, from)?.length ?? indexes.origin.objects.get(r.key)?.size ?? 0),
    0,
  );
  return { refs, jobs, skipped, bytes };
}

/**
 * The store with reads of unlisted keys answered "missing" without a request: garbage collection walks back
 * through snapshots that may not exist, and a GET of a missing key is a 403 (not a 404) for a writer whose
 * s3:ListBucket is limited to the library prefix.
 */
export function listedOnly(store: ObjectStore, index: ListingIndex): ObjectStore {
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
