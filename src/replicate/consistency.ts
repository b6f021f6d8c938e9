// Is library version N complete and intact at a store? Answered from LIST pages (key, size, ETag), never a
// HEAD per object: one listing of the library prefix, then every key the version's snapshot references is
// looked up in it. Data keys are content-addressed (`<item>/<sha256>/<name>`) and every key a version
// references is immutable, so "present with the right size" normally means "holds those bytes"; tampering
// (an object overwritten with other bytes of the same size) is caught by comparing the ETag with the
// origin's listing, and only where the ETags differ (a streamed copy with other part sizes, re-encryption)
// one HEAD reads the SHA-256 claas stored in the object's metadata (x-amz-meta-sha256). A version snapshot
// may differ from the origin's by design: claas mirror writes older snapshots without the publisher identity
// (issue 16), so a snapshot that differs is read at both stores and compared without identities.

import type { ObjectStore, StoredObject } from '../store/types.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { parseLibJson, parseSnapshot } from '../vcsp/schema.js';
import { LIB_KEY, snapshotKey } from '../publish/layout.js';
import { publicSnapshot } from '../publish/state.js';
import { isClaasError } from '../errors.js';

export interface VersionCheck {
  version: number;
  complete: boolean;
  missing: string[];
  wrongSize: { key: string; expected: number; actual: number }[];
  wrongHash: { key: string; expected: string; actual?: string }[];
  checkedObjects: number;
}

/** A listed object: on S3 with the ETag and storage class LIST returns for free. */
export type ListedObject = StoredObject;

export interface ListingIndex {
  objects: Map<string, ListedObject>;
  requests: number;
}

/** One key a version references and what is known about it from the snapshot alone. */
export interface ReferencedKey {
  key: string;
  kind: 'file' | 'snapshot' | 'item' | 'items';
  /** Size from the snapshot (data files only; JSON sizes are known from the origin's listing). */
  size?: number;
  /** SHA-256 from the snapshot (data files only). */
  sha256?: string;
}

/** An object whose ETag differs from the origin's while its size matches: its stored SHA-256 decides. */
export interface EtagDifference {
  key: string;
  expectedEtag: string;
  actualEtag: string;
  /** The SHA-256 the object must have (data files); undefined for JSON documents. */
  sha256?: string;
  /** A version snapshot: equal when it says what the origin's says, without identities (sizes may differ). */
  snapshot?: true;
}

/** VersionCheck plus the ETag differences a caller may resolve with a few HEADs (resolveEtagDifferences). */
export interface DetailedVersionCheck extends VersionCheck {
  etagDiffers: EtagDifference[];
}

/**
 * Lists everything under the library prefix: one ListObjectsV2 per page of 1,000 keys on S3 (with ETag and
 * storage class), a walk of the folder for local stores (counted as one request).
 */
export async function listAll(store: ObjectStore): Promise<ListingIndex> {
  const objects = new Map<string, ListedObject>();
  let requests = 0;
  for await (const o of store.list('', { onRequest: () => (requests += 1) })) objects.set(o.key, o);
  return { objects, requests };
}

/**
 * Every key a version references, in commit order: data files, the snapshot, item JSON, the item index.
 * lib.json is not among them (it is overwritten by every version; callers read it themselves).
 */
export function referencedKeys(snapshot: VersionSnapshot): ReferencedKey[] {
  const seen = new Set<string>();
  const out: ReferencedKey[] = [];
  const add = (k: ReferencedKey): void => {
    if (seen.has(k.key)) return;
    seen.add(k.key);
    out.push(k);
  };
  for (const item of snapshot.items) {
    for (const f of item.files) {
      for (const href of f.hrefs) {
        const sha = snapshot.hashes[href];
        add({
          key: hrefToKey(href, item.name),
          kind: 'file',
          size: f.size,
          ...(sha === undefined ? {} : { sha256: sha }),
        });
      }
    }
  }
  add({ key: snapshotKey(snapshot.lib.version), kind: 'snapshot' });
  for (const item of snapshot.items) add({ key: hrefToKey(item.selfHref, item.name), kind: 'item' });
  add({ key: hrefToKey(snapshot.lib.itemsHref, 'itemsHref'), kind: 'items' });
  return out;
}

/**
 * Presence and size of every key the version references (data files, its snapshot, item JSON, the item
 * index; not lib.json) in a listing. No requests. With `reference` (the origin's listing), JSON documents
 * are size-checked against the origin too, and objects whose size matches but whose ETag differs from the
 * origin's come back in `etagDiffers` for resolveEtagDifferences.
 */
export function checkSnapshotAgainst(
  snapshot: VersionSnapshot,
  index: ListingIndex,
  reference?: ListingIndex,
): DetailedVersionCheck {
  const check: DetailedVersionCheck = {
    version: Number(snapshot.lib.version),
    complete: false,
    missing: [],
    wrongSize: [],
    wrongHash: [],
    checkedObjects: 0,
    etagDiffers: [],
  };
  for (const ref of referencedKeys(snapshot)) {
    check.checkedObjects += 1;
    const here = index.objects.get(ref.key);
    if (here === undefined) {
      check.missing.push(ref.key);
      continue;
    }
    const there = reference?.objects.get(ref.key);
    if (ref.kind === 'snapshot' && reference !== undefined && reference !== index && there !== undefined) {
      if (there.size !== here.size || (there.etag !== undefined && there.etag !== here.etag)) {
        check.etagDiffers.push({
          key: ref.key,
          expectedEtag: there.etag ?? `size ${there.size}`,
          actualEtag: here.etag ?? `size ${here.size}`,
          snapshot: true,
        });
      }
      continue;
    }
    const expectedSize = ref.size ?? there?.size;
    if (expectedSize !== undefined && here.size !== expectedSize) {
      check.wrongSize.push({ key: ref.key, expected: expectedSize, actual: here.size });
      continue;
    }
    // The origin's own listing is the reference; comparing it with itself proves nothing.
    if (reference !== undefined && reference !== index && there !== undefined && there.size === here.size) {
      if (there.etag !== undefined && here.etag !== undefined && there.etag !== here.etag) {
        check.etagDiffers.push({
          key: ref.key,
          expectedEtag: there.etag,
          actualEtag: here.etag,
          ...(ref.sha256 === undefined ? {} : { sha256: ref.sha256 }),
        });
      }
    }
  }
  check.complete = check.missing.length === 0 && check.wrongSize.length === 0;
  return check;
}

/**
 * Decides the objects whose ETag differs from the origin's: one HEAD each reads the SHA-256 claas stored
 * with the object; a matching one is fine (a copy with other part sizes), anything else is wrongHash.
 * JSON documents have no snapshot hash: for them the origin's stored SHA-256 is read too (one more HEAD).
 * Returns the number of requests made. Updates `check` in place (complete stays as is: the keys are there).
 */
export async function resolveEtagDifferences(
  check: DetailedVersionCheck,
  store: ObjectStore,
  origin?: ObjectStore,
): Promise<number> {
  let requests = 0;
  const left: EtagDifference[] = [];
  const stat = store.features.stat;
  const originStat = origin?.features.stat;
  for (const d of check.etagDiffers) {
    if (d.snapshot === true) {
      requests += await resolveSnapshotDifference(check, d, store, origin, left);
      continue;
    }
    if (stat === undefined) {
      left.push(d);
      continue;
    }
    let expected = d.sha256;
    if (expected === undefined && originStat !== undefined) {
      requests += 1;
      expected = (await originStat(d.key))?.sha256;
    }
    requests += 1;
    const info = await stat(d.key);
    if (info === undefined) {
      check.missing.push(d.key);
      continue;
    }
    if (expected !== undefined && info.sha256 !== undefined && info.sha256.toLowerCase() === expected)
      continue;
    check.wrongHash.push({
      key: d.key,
      expected: expected ?? `etag ${d.expectedEtag}`,
      ...(info.sha256 !== undefined
        ? { actual: info.sha256 }
        : d.actualEtag !== undefined
          ? { actual: `etag ${d.actualEtag}` }
          : {}),
    });
  }
  check.etagDiffers = left;
  check.complete = check.missing.length === 0 && check.wrongSize.length === 0;
  return requests;
}

/**
 * A snapshot that differs from the origin's: equal when both parse and say the same without identities
 * (a mirror's stripped copy), wrongHash otherwise. Without the origin it stays undecided. Returns requests.
 */
async function resolveSnapshotDifference(
  check: DetailedVersionCheck,
  d: EtagDifference,
  store: ObjectStore,
  origin: ObjectStore | undefined,
  left: EtagDifference[],
): Promise<number> {
  if (origin === undefined) {
    left.push(d);
    return 0;
  }
  const [here, there] = await Promise.all([
    readPublicSnapshot(store, d.key),
    readPublicSnapshot(origin, d.key),
  ]);
  if (here === 'missing') check.missing.push(d.key);
  else if (here === undefined || there === undefined || there === 'missing' || here !== there) {
    check.wrongHash.push({
      key: d.key,
      expected: "the origin's snapshot without identities",
      actual: d.actualEtag,
    });
  }
  return 2;
}

/** A snapshot's canonical JSON without identities; 'missing', or undefined when it does not parse. */
async function readPublicSnapshot(store: ObjectStore, key: string): Promise<string | 'missing' | undefined> {
  const bytes = await store.readBytes(key);
  if (bytes === undefined) return 'missing';
  try {
    return JSON.stringify(publicSnapshot(parseSnapshot(bytes.toString('utf8'), `${store.display}/${key}`)));
  } catch (e) {
    if (isClaasError(e, 'PROTOCOL') || isClaasError(e, 'BAD_INPUT')) return undefined;
    throw e;
  }
}

export interface NewestCompleteOptions {
  /** A listing of the store made by the caller (saves the LIST requests). */
  index?: ListingIndex;
  /** How many versions below lib.json's to try (default 20). */
  maxBack?: number;
  /** The origin's listing: JSON sizes and ETags are compared against it (see checkSnapshotAgainst). */
  reference?: ListingIndex;
  /** The version lib.json names, when the caller read it already (null: no lib.json). */
  libVersion?: number | null;
}

export interface NewestComplete {
  version: number;
  snapshot: VersionSnapshot;
  check: DetailedVersionCheck;
  /** Requests this call made (LIST pages unless an index was given, lib.json, snapshots read). */
  requests: number;
  /** The version lib.json names at this store. */
  libVersion: number;
}

/** What newestCompleteVersion found, including when no version is complete. */
export interface NewestCompleteReport {
  found?: NewestComplete;
  libVersion?: number;
  /** The check of lib.json's own version (the first one tried), complete or not. */
  head?: DetailedVersionCheck;
  /** Versions whose snapshot is missing (or unreadable) at the store. */
  noSnapshot: number[];
  requests: number;
  index: ListingIndex;
}

async function readSnapshotSafe(
  store: ObjectStore,
  version: number,
): Promise<{ snapshot?: VersionSnapshot; requests: number }> {
  try {
    const bytes = await store.readBytes(snapshotKey(version));
    if (bytes === undefined) return { requests: 1 };
    return {
      snapshot: parseSnapshot(bytes.toString('utf8'), `${store.display}/${snapshotKey(version)}`),
      requests: 1,
    };
  } catch (e) {
    // A snapshot that does not parse (altered on a replica) makes its version not complete there.
    if (isClaasError(e, 'PROTOCOL') || isClaasError(e, 'BAD_INPUT')) return { requests: 1 };
    throw e;
  }
}

/** The version lib.json names at a store, or undefined when lib.json is missing or unreadable. */
export async function readLibVersion(store: ObjectStore): Promise<number | undefined> {
  try {
    const bytes = await store.readBytes(LIB_KEY);
    if (bytes === undefined) return undefined;
    return Number(parseLibJson(bytes.toString('utf8'), `${store.display}/${LIB_KEY}`).version);
  } catch (e) {
    if (isClaasError(e, 'PROTOCOL') || isClaasError(e, 'BAD_INPUT')) return undefined;
    throw e;
  }
}

/** newestCompleteVersion with everything it saw on the way (used by status). */
export async function findNewestComplete(
  store: ObjectStore,
  opts: NewestCompleteOptions = {},
): Promise<NewestCompleteReport> {
  const maxBack = Math.max(1, opts.maxBack ?? 20);
  let requests = 0;
  const index = opts.index ?? (await listAll(store));
  if (opts.index === undefined) requests += index.requests;
  // Only a listed lib.json is read: a GET of a missing key is a 403, not a 404, for credentials whose
  // s3:ListBucket is limited to the library prefix (S3 and RGW hide what the caller may not list).
  let libVersion: number | undefined;
  if (opts.libVersion !== undefined) libVersion = opts.libVersion ?? undefined;
  else if (index.objects.has(LIB_KEY)) {
    libVersion = await readLibVersion(store);
    requests += 1;
  }
  const report: NewestCompleteReport = { noSnapshot: [], requests: 0, index };
  if (libVersion === undefined || !Number.isSafeInteger(libVersion)) {
    report.requests = requests;
    return report;
  }
  report.libVersion = libVersion;
  for (let v = libVersion; v >= 1 && v > libVersion - maxBack; v -= 1) {
    // A snapshot the listing does not show is missing: no GET needed to know that.
    if (!index.objects.has(snapshotKey(v))) {
      report.noSnapshot.push(v);
      continue;
    }
    const read = await readSnapshotSafe(store, v);
    requests += read.requests;
    if (read.snapshot === undefined) {
      report.noSnapshot.push(v);
      continue;
    }
    const check = checkSnapshotAgainst(read.snapshot, index, opts.reference);
    if (v === libVersion) report.head = check;
    if (check.complete) {
      report.found = { version: v, snapshot: read.snapshot, check, requests: 0, libVersion };
      break;
    }
  }
  report.requests = requests;
  if (report.found !== undefined) report.found.requests = requests;
  return report;
}

/**
 * The newest library version complete at a store: reads lib.json (on a replica it may be ahead of its
 * files), then walks snapshots N, N-1, ... (at most maxBack) and returns the first whose referenced keys
 * are all present with the right sizes. A snapshot missing at the store means that version is not
 * complete. undefined when lib.json is missing or no version within maxBack is complete.
 */
export async function newestCompleteVersion(
  store: ObjectStore,
  opts: NewestCompleteOptions = {},
): Promise<NewestComplete | undefined> {
  return (await findNewestComplete(store, opts)).found;
}
