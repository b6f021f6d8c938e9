// The /api flavour (vCenter 7.0 U2 and later): a single structure parameter is the body itself, answers
// have no "value" envelope, ids are plain path segments, actions are `?action=`, maps are JSON objects.
// Paths follow the vSphere Automation API reference.

import { enc, failBody } from './routes.js';
import type { Routes } from './routes.js';
import type { InventoryKind } from './types.js';
import * as wire from './wire.js';

export const API_SESSION_PATH = '/api/session';

const LIBRARY = '/api/content/library';
const LOCAL = '/api/content/local-library';
const SUBSCRIBED = '/api/content/subscribed-library';
const ITEM = '/api/content/library/item';
const UPDATE = '/api/content/library/item/update-session';
const DOWNLOAD = '/api/content/library/item/download-session';
const OVF = '/api/vcenter/ovf/library-item';
const SPECS = '/api/vcenter/guest/customization-specs';

/** The id filter of each inventory list: ?datastores=, ?resource_pools=, ... */
const ID_FILTER: Record<InventoryKind, string> = {
  datastore: 'datastores',
  'resource-pool': 'resource_pools',
  folder: 'folders',
  network: 'networks',
};

export const modernRoutes: Routes = {
  flavour: 'api',
  sessionPath: API_SESSION_PATH,
  payload: (json) => json,

  listLibraries: () => ({ method: 'GET', path: LIBRARY }),
  getLibrary: (id) => ({ method: 'GET', path: `${LIBRARY}/${enc(id)}` }),
  findLibraries: (spec) => ({
    method: 'POST',
    path: LIBRARY,
    query: { action: 'find' },
    body: wire.libraryFindToWire(spec),
  }),
  createLocalLibrary: (spec) => ({ method: 'POST', path: LOCAL, body: wire.localLibraryToWire(spec) }),
  createSubscribedLibrary: (spec) => ({
    method: 'POST',
    path: SUBSCRIBED,
    body: wire.subscribedLibraryToWire(spec),
  }),
  updateSubscribedLibrary: (id, spec) => ({
    method: 'PATCH',
    path: `${SUBSCRIBED}/${enc(id)}`,
    body: wire.libraryUpdateToWire(spec),
  }),
  syncSubscribedLibrary: (id) => ({
    method: 'POST',
    path: `${SUBSCRIBED}/${enc(id)}`,
    query: { action: 'sync' },
  }),
  deleteLibrary: (id, type) => ({
    method: 'DELETE',
    path: `${type === 'LOCAL' ? LOCAL : SUBSCRIBED}/${enc(id)}`,
  }),

  listItems: (libraryId) => ({ method: 'GET', path: ITEM, query: { library_id: libraryId } }),
  getItem: (id) => ({ method: 'GET', path: `${ITEM}/${enc(id)}` }),
  findItems: (spec) => ({
    method: 'POST',
    path: ITEM,
    query: { action: 'find' },
    body: wire.itemFindToWire(spec),
  }),
  createItem: (spec) => ({ method: 'POST', path: ITEM, body: wire.itemCreateToWire(spec) }),
  updateItem: (id, spec) => ({
    method: 'PATCH',
    path: `${ITEM}/${enc(id)}`,
    body: wire.itemUpdateToWire(spec),
  }),
  deleteItem: (id) => ({ method: 'DELETE', path: `${ITEM}/${enc(id)}` }),
  listItemFiles: (itemId) => ({ method: 'GET', path: `${ITEM}/${enc(itemId)}/file` }),

  createUpdateSession: (itemId) => ({ method: 'POST', path: UPDATE, body: { library_item_id: itemId } }),
  getUpdateSession: (id) => ({ method: 'GET', path: `${UPDATE}/${enc(id)}` }),
  // The reference maps File.add to a plain POST on the session's file collection (no ?action=add).
  addUpdateFile: (sid, spec) => ({
    method: 'POST',
    path: `${UPDATE}/${enc(sid)}/file`,
    body: wire.updateFileSpecToWire(spec),
  }),
  getUpdateFile: (sid, name) => ({ method: 'GET', path: `${UPDATE}/${enc(sid)}/file/${enc(name)}` }),
  listUpdateFiles: (sid) => ({ method: 'GET', path: `${UPDATE}/${enc(sid)}/file` }),
  endUpdateSession: (id, how, message) => ({
    method: 'POST',
    path: `${UPDATE}/${enc(id)}`,
    query: { action: how },
    ...failBody(how, message),
  }),
  deleteUpdateSession: (id) => ({ method: 'DELETE', path: `${UPDATE}/${enc(id)}` }),

  createDownloadSession: (itemId) => ({ method: 'POST', path: DOWNLOAD, body: { library_item_id: itemId } }),
  listDownloadFiles: (sid) => ({ method: 'GET', path: `${DOWNLOAD}/${enc(sid)}/file` }),
  prepareDownloadFile: (sid, name) => ({
    method: 'POST',
    path: `${DOWNLOAD}/${enc(sid)}/file`,
    query: { action: 'prepare' },
    body: { file_name: name, endpoint_type: 'HTTPS' },
  }),
  getDownloadFile: (sid, name) => ({
    method: 'GET',
    path: `${DOWNLOAD}/${enc(sid)}/file`,
    query: { file_name: name },
  }),
  deleteDownloadSession: (id) => ({ method: 'DELETE', path: `${DOWNLOAD}/${enc(id)}` }),

  deployOvf: (itemId, target, spec) => ({
    method: 'POST',
    path: `${OVF}/${enc(itemId)}`,
    query: { action: 'deploy' },
    body: wire.deployToWire(target, spec, false),
  }),
  getCustomizationSpec: (name) => ({ method: 'GET', path: `${SPECS}/${enc(name)}` }),
  applyCustomization: (vmId, specName) => ({
    method: 'PUT',
    path: `/api/vcenter/vm/${enc(vmId)}/guest/customization`,
    body: { name: specName },
  }),

  listInventory: (kind, filter) => ({
    method: 'GET',
    path: `/api/vcenter/${kind}`,
    query: {
      names: filter.names,
      [ID_FILTER[kind]]: filter.ids,
      ...(kind === 'folder' ? { type: 'VIRTUAL_MACHINE' } : {}),
    },
  }),
};
