// Where claas keeps things inside a library root. One place for every key name, so the publish engine,
// garbage collection, the gateway and status all agree on the layout (see docs/architecture.md).
//
//   lib.json                          the only key ever overwritten; written last (the commit point)
//   items-<libVersion>.json           the item index of one library version (immutable)
//   <item>/item-<itemVersion>-<id8>.json  one item version's item.json (immutable; id8 = the item id's
//                                     first 8 hex digits, so an item removed and later re-added under the
//                                     same name with a new id never collides with the old one's documents)
//   <item>/<sha256>/<file name>       file bytes, content-addressed (immutable)
//   .claas/versions/<libVersion>.json claas's snapshot of a version: VCSP docs + SHA-256 of every file
//   .claas/lock/<...>.json            the publisher lock                          (private)
//   .claas/run-lease/<...>.json       the run lease: which `claas run` publishes  (private)
//   .claas/run-archive.json           the last archive.schedule slot `claas run` archived (private)
//   .claas/audit/, retain/, staging/, imports/, tmp/, restore-pending.json, mirror-lock/     (private)
//
// Public and provider-private (issue 16): a client's replica may hold only the PUBLIC families — lib.json,
// items-<N>.json, item JSON, the content-addressed files and the version snapshots (without identities,
// state.ts publicSnapshot) — which are what a vCenter reads and what proves a version consistent. Everything
// else under .claas/ is provider-private (PRIVATE_FAMILIES, isPrivateKey: store/private-keys.ts). Callers use
// the keys above on every store; an S3 library store keeps the private ones OUTSIDE the library prefix, in
// the library's private area `<controlPrefix>/libraries/<prefix>/<key>` (store/s3-key-map.ts), so that a
// replication rule filtered on the library prefix carries none of them. Local folders keep them in .claas/.

import { encodeHref } from '../vcsp/hrefs.js';

export const LIB_KEY = 'lib.json';
export const CLAAS_DIR = '.claas';
export const VERSIONS_PREFIX = '.claas/versions/';
export const LOCK_PREFIX = '.claas/lock/';
/** The run lease (same protocol as the lock, other entries): one `claas run` publishes a library. */
export const RUN_LEASE_PREFIX = '.claas/run-lease/';
/** The archive schedule's record of the last slot done (written after the snapshot succeeded). */
export const RUN_ARCHIVE_KEY = '.claas/run-archive.json';

export function itemsKey(libVersion: number | string): string {
  return `items-${libVersion}.json`;
}

export function itemSelfHref(itemFolder: string, itemVersion: number | string, itemId: string): string {
  const id8 = /([0-9a-f]{8})/i.exec(itemId.replace(/^urn:uuid:/, ''))?.[1]?.toLowerCase() ?? 'item';
  return encodeHref([itemFolder, `item-${itemVersion}-${id8}.json`]);
}

export function snapshotKey(libVersion: number | string): string {
  return `${VERSIONS_PREFIX}${libVersion}.json`;
}

/** Versions that have a snapshot, from a listing of VERSIONS_PREFIX. */
export function versionFromSnapshotKey(key: string): number | undefined {
  const m = /^\.claas\/versions\/(\d+)\.json$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

/** Keys written by claas's own layout (the only ones garbage collection may delete unasked). */
export function isClaasManagedKey(key: string): boolean {
  if (/^items-\d+\.json$/.test(key)) return true;
  const parts = key.split('/');
  if (parts.length === 2 && /^item-\d+(-[0-9a-z]{4,8})?\.json$/.test(parts[1] ?? '')) return true;
  if (parts.length === 3 && /^[0-9a-f]{64}$/.test(parts[1] ?? '')) return true;
  return false;
}

// The provider-private families and their test live in src/store (the S3 library store keeps them in the
// library's private area): re-exported here for the engine, mirror and the replication plans.
export { PRIVATE_FAMILIES, isPrivateKey } from '../store/private-keys.js';

export function isInternalKey(key: string): boolean {
  return key === CLAAS_DIR || key.startsWith(`${CLAAS_DIR}/`);
}
