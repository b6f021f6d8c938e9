// Which keys of a library are provider-private (issue 16): what a client's replica must never hold. A library
// store on S3 keeps them out of the library prefix, in the library's private area under the control prefix
// (s3-key-map.ts), so that a cross-account replication rule whose filter is the library prefix carries none
// of them. publish/layout.ts re-exports this list; it lives here because the store applies it.
//
// Public: lib.json, items-<N>.json, item JSON, the content-addressed files and the version snapshots
// `.claas/versions/<N>.json` — what a vCenter reads and what proves a version consistent. Private: everything
// else under `.claas/`, and the old default archive location `.claas-archive/`.

/** claas's own folder in a library root. */
export const CLAAS_DIR = '.claas';
/** The version snapshots: the one public family under `.claas/`. */
export const VERSIONS_PREFIX = '.claas/versions/';
/** The archive location older claas versions used by default, inside the library prefix. */
export const LEGACY_ARCHIVE_DIR = '.claas-archive';

/**
 * The default control prefix (no slashes): config/control-layout.ts DEFAULT_CONTROL_PREFIX says the same
 * (the store may not import config; a unit test keeps them equal).
 */
export const DEFAULT_CONTROL_PREFIX = 'claas-control';

/**
 * Every provider-private family claas writes under a library root (prefixes relative to it), with its
 * writer. None of them may reach a client's replica; `claas mirror` copies only what a version references.
 * Bucket-level control data (tenants, gateway counters) lives beside the prefix (config/control-layout.ts).
 */
export const PRIVATE_FAMILIES: ReadonlyArray<{ prefix: string; what: string }> = [
  {
    prefix: '.claas/audit/',
    what: 'the audit log: actor ARN, access key id, profile, user@host (publish/audit.ts)',
  },
  { prefix: '.claas/lock/', what: 'publisher lock entries: user@host, pid (publish/lock.ts)' },
  { prefix: '.claas/retain/', what: 'retention markers and policy: who, why (publish/retain.ts)' },
  { prefix: '.claas/staging/', what: 'bytes of imports under way (sources/staging.ts)' },
  { prefix: '.claas/imports/', what: 'import records: source URLs and fingerprints (sources/staging.ts)' },
  {
    prefix: '.claas/tmp/',
    what: 'temp files and storage-class probes (store/fs.ts, store/s3-storage-class.ts)',
  },
  { prefix: '.claas/restore-pending.json', what: 'an interrupted restore (archive/manifest.ts)' },
  { prefix: '.claas/run-lease/', what: 'claas run lease entries: user@host, pid (run/leader.ts)' },
  { prefix: '.claas/run-archive.json', what: 'the last archive slot claas run archived (run/schedule.ts)' },
  {
    prefix: '.claas/mirror-lock/',
    what: 'claas mirror lock entries: user@host, pid (replicate/mirror-lock.ts)',
  },
  {
    prefix: `${LEGACY_ARCHIVE_DIR}/`,
    what: 'archives older claas versions wrote by default inside the library (archive/)',
  },
];

function isSnapshotKey(key: string): boolean {
  return /^\.claas\/versions\/\d+\.json$/.test(key);
}

function isInternal(key: string): boolean {
  return key === CLAAS_DIR || key.startsWith(`${CLAAS_DIR}/`);
}

/**
 * True for a provider-private key: one of PRIVATE_FAMILIES or anything else under .claas/ but the version
 * snapshots. What a version references (its snapshot says which keys) plus lib.json is public.
 */
export function isPrivateKey(key: string): boolean {
  if (isSnapshotKey(key)) return false;
  return isInternal(key) || PRIVATE_FAMILIES.some((f) => key.startsWith(f.prefix));
}

/**
 * True when some private key can start with `prefix` (a listing of it must look at the private area too):
 * '', '.', '.claas/', '.claas/audit/', '.claas-archive/x'... but not 'lib.json' or 'centos/'.
 */
export function listingMayHoldPrivate(prefix: string): boolean {
  return CLAAS_DIR.startsWith(prefix) || prefix.startsWith(CLAAS_DIR);
}
