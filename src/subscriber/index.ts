// The subscriber side of VCSP: read a library as vCenter does (over HTTP(S) or from a store), verify it,
// and sync it into a local folder.

export {
  HttpLibrarySource,
  StoreLibrarySource,
  MAX_JSON_BYTES,
  type LibrarySource,
  type HttpLibrarySourceOptions,
} from './reader.js';
export { verifyLibrary, type VerifyEvent, type VerifyOptions, type VerifyReport } from './verify.js';
export { syncLibrary, type SyncResult, type SyncState } from './sync.js';
export { sha256FromHref, type ExpectedDigest } from './content-check.js';
