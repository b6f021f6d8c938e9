// A flavour of the vSphere Automation API as data: for every VcenterApi call, the HTTP request that
// makes it (method, path, query, body), plus how answers carry their payload. routes-modern.ts (/api)
// and routes-legacy.ts (/rest) are the two mappings; RestApi (rest-api.ts) runs either.

import type { QueryValue } from './json-client.js';
import type * as T from './types.js';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

export type SessionEnd = 'complete' | 'cancel' | 'fail';

export interface Routes {
  readonly flavour: T.Flavour;
  /** The session resource: POST logs in, DELETE logs out. */
  readonly sessionPath: string;
  /** The payload of an answer: the document itself in /api, its "value" in /rest. */
  payload(json: unknown): unknown;

  listLibraries(): Route;
  getLibrary(id: string): Route;
  findLibraries(spec: T.LibraryFindSpec): Route;
  createLocalLibrary(spec: T.LibraryCreateSpec): Route;
  createSubscribedLibrary(spec: T.SubscribedLibraryCreateSpec): Route;
  updateSubscribedLibrary(id: string, spec: T.LibraryUpdateSpec): Route;
  syncSubscribedLibrary(id: string): Route;
  deleteLibrary(id: string, type: T.LibraryType): Route;

  listItems(libraryId: string): Route;
  getItem(id: string): Route;
  findItems(spec: T.ItemFindSpec): Route;
  createItem(spec: T.ItemCreateSpec): Route;
  updateItem(id: string, spec: T.ItemUpdateSpec): Route;
  deleteItem(id: string): Route;
  listItemFiles(itemId: string): Route;

  createUpdateSession(itemId: string): Route;
  getUpdateSession(id: string): Route;
  addUpdateFile(sessionId: string, spec: T.UpdateFileSpec): Route;
  getUpdateFile(sessionId: string, name: string): Route;
  listUpdateFiles(sessionId: string): Route;
  endUpdateSession(id: string, how: SessionEnd, message: string): Route;
  deleteUpdateSession(id: string): Route;

  createDownloadSession(itemId: string): Route;
  listDownloadFiles(sessionId: string): Route;
  prepareDownloadFile(sessionId: string, name: string): Route;
  getDownloadFile(sessionId: string, name: string): Route;
  deleteDownloadSession(id: string): Route;

  deployOvf(itemId: string, target: T.OvfDeployTarget, spec: T.OvfDeploySpec): Route;
  getCustomizationSpec(name: string): Route;
  /** undefined: this flavour cannot apply a customization spec to a VM. */
  applyCustomization(vmId: string, specName: string): Route | undefined;

  listInventory(kind: T.InventoryKind, filter: T.InventoryFilter): Route;
}

export const enc = encodeURIComponent;

/** The body of a `fail` action, the same in both flavours. */
export function failBody(how: SessionEnd, message: string): { body?: unknown } {
  return how === 'fail' ? { body: { client_error_message: message } } : {};
}
