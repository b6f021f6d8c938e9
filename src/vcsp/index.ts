// The VCSP protocol module's public surface: types, safe hrefs, document building, strict parsing,
// subscriber-side validation and version planning.

export type * from './types.js';
export {
  MAX_ITEM_NAME_CHARS,
  assertSafeItemName,
  decodeHref,
  encodeHref,
  hrefProblem,
  hrefToKey,
  isSafeSegment,
  resolveItemsHref,
} from './hrefs.js';
export {
  isoNow,
  makeItem,
  makeLib,
  newUrn,
  serializeJson,
  typeMetadata,
  typeMetadataEntry,
} from './build.js';
export { parseItemJson, parseItemsJson, parseLibJson, parseSnapshot } from './schema.js';
export { hasErrors, validateLibrary, type Problem } from './validate.js';
export {
  planNextVersion,
  readPreviousFromSnapshot,
  type DesiredFile,
  type DesiredItem,
  type ItemChange,
  type NewFile,
  type NextState,
  type PreviousState,
} from './diff.js';
