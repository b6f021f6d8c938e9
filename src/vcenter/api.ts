// VcenterApi: the vSphere Automation calls claas makes, one method per call, in claas's types. RestApi
// implements it over either flavour's mapping to the wire: modernRoutes (/api, vCenter 7.0 U2 and later)
// or legacyRoutes (/rest/com/vmware/..., vCenter 6.5 and later). connectVcenter() picks one by probing.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { SessionEnd } from './routes.js';
import type * as T from './types.js';

export type { SessionEnd };

export interface VcenterApi {
  readonly flavour: T.Flavour;
  /** The vCenter's origin, https://host[:port]. */
  readonly server: string;

  // libraries
  listLibraries(): Promise<string[]>;
  getLibrary(id: string): Promise<T.LibraryInfo>;
  findLibraries(spec: T.LibraryFindSpec): Promise<string[]>;
  createLocalLibrary(spec: T.LibraryCreateSpec): Promise<string>;
  createSubscribedLibrary(spec: T.SubscribedLibraryCreateSpec): Promise<string>;
  updateSubscribedLibrary(id: string, spec: T.LibraryUpdateSpec): Promise<void>;
  syncSubscribedLibrary(id: string): Promise<void>;
  deleteLibrary(id: string, type: T.LibraryType): Promise<void>;

  // items
  listItems(libraryId: string): Promise<string[]>;
  getItem(id: string): Promise<T.ItemInfo>;
  findItems(spec: T.ItemFindSpec): Promise<string[]>;
  createItem(spec: T.ItemCreateSpec): Promise<string>;
  updateItem(id: string, spec: T.ItemUpdateSpec): Promise<void>;
  deleteItem(id: string): Promise<void>;
  listItemFiles(itemId: string): Promise<T.ItemFileInfo[]>;

  // update sessions (uploads)
  createUpdateSession(itemId: string): Promise<string>;
  getUpdateSession(id: string): Promise<T.SessionInfo>;
  addUpdateFile(sessionId: string, spec: T.UpdateFileSpec): Promise<T.UpdateFileInfo>;
  getUpdateFile(sessionId: string, name: string): Promise<T.UpdateFileInfo>;
  listUpdateFiles(sessionId: string): Promise<T.UpdateFileInfo[]>;
  /** complete, cancel or fail (with a message for the server's log) an update session. */
  endUpdateSession(id: string, how: SessionEnd, message?: string): Promise<void>;
  deleteUpdateSession(id: string): Promise<void>;
  /** PUTs a file's bytes to its upload endpoint. */
  putFile(uploadUri: string, body: Buffer | Readable, size: number): Promise<void>;

  // download sessions
  createDownloadSession(itemId: string): Promise<string>;
  listDownloadFiles(sessionId: string): Promise<T.DownloadFileInfo[]>;
  prepareDownloadFile(sessionId: string, name: string): Promise<T.DownloadFileInfo>;
  getDownloadFile(sessionId: string, name: string): Promise<T.DownloadFileInfo>;
  deleteDownloadSession(id: string): Promise<void>;
  /** GETs a prepared file from its download endpoint, as a stream. */
  getFile(downloadUri: string): Promise<IncomingMessage>;

  // OVF deploy and guest customization
  deployOvf(itemId: string, target: T.OvfDeployTarget, spec: T.OvfDeploySpec): Promise<T.OvfDeployResult>;
  getCustomizationSpec(name: string): Promise<T.CustomizationSpecInfo>;
  /** Applies a stored guest customization spec to a (powered-off) VM: /api only. */
  applyCustomization(vmId: string, specName: string): Promise<void>;

  // inventory (datastores, resource pools, VM folders, networks)
  listInventory(kind: T.InventoryKind, filter: T.InventoryFilter): Promise<T.InventoryRef[]>;

  /** Ends the session and closes connections. */
  logout(): Promise<void>;
}
