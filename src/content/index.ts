// The public surface of src/content: what an item is, read from folders, OVF descriptors, manifests and OVAs.

export type { SourceFile, FileOrigin, SourceItem, ContentWarning } from './types.js';
export { sha256File, sha256Bytes, hashFileWith, type HashAlgo, type HashFileOptions } from './hash.js';
export {
  HashCache,
  defaultHashCachePath,
  hashWithCache,
  digestWithCache,
  type CacheStat,
  type CachedHash,
  type CachedHashOptions,
} from './hash-cache.js';
export { parseOvfDescriptor, type OvfInfo, type OvfReference } from './ovf.js';
export {
  parseManifest,
  verifyManifestEntry,
  digestForManifest,
  type ManifestAlgo,
  type ManifestEntry,
} from './manifest.js';
export {
  indexOva,
  readOvaLayout,
  checkOvaLayout,
  hashOvaMembers,
  type OvaMember,
  type OvaIndex,
  type OvaLayout,
  type IndexOvaOptions,
} from './ova.js';
export {
  buildOvfItem,
  checkOvfReferences,
  loadOvfDescriptor,
  type AvailableFile,
  type OvfItemInput,
  type OvfItemResult,
} from './ovf-item.js';
export { scanSource, type ScanOptions, type ScanProgress, type ScanResult, type ScanStats } from './scan.js';
export { MAX_ITEM_NAME_LENGTH, unsafeItemNameReason, unsafeSegmentReason } from './names.js';
