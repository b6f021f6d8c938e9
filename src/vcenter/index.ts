// The vSphere Automation REST client: connect (probing /api or /rest), then libraries, items, uploads,
// downloads, OVF deploy with guest customization, and inventory lookups. Layers, bottom up: transport
// (HTTPS + trust) -> json-client (session header, errors) -> routes-modern / routes-legacy (the two
// flavours as data) -> rest-api (VcenterApi) -> libraries, items, upload, download, deploy, resolve.

export { connectVcenter, parseServer } from './connect.js';
export type { VcenterConnectOptions } from './connect.js';
export type { VcenterApi, SessionEnd } from './api.js';
export type { TrustOptions, TransportOptions } from './transport.js';
export * from './types.js';
export {
  createLocalLibrary,
  deleteLibrary,
  findLibraryByName,
  getSubscription,
  requireLibrary,
  subscriptionSettings,
  syncLibrary,
  upsertSubscribedLibrary,
} from './libraries.js';
export type { LocalLibraryOptions, SubscribedLibraryOptions, SubscriptionOptions } from './libraries.js';
export { ensureItem, findItemByName, listLibraryItems, requireItem } from './items.js';
export type { ItemOptions } from './items.js';
export { uploadItemFiles } from './upload.js';
export type { UploadOptions, UploadProgress, UploadSource } from './upload.js';
export { openDownloadSession } from './download.js';
export type { DownloadSession } from './download.js';
export { deployVm } from './deploy.js';
export type { DeployOptions, DeployOutcome } from './deploy.js';
export {
  looksLikeId,
  resolveDatastore,
  resolveFolder,
  resolveInventory,
  resolveNetwork,
  resolveResourcePool,
} from './resolve.js';
export type { Resolved } from './resolve.js';
export type { PollOptions } from './poll.js';
