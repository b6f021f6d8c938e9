// The legacy /rest flavour (vCenter 6.5 to 7.0 U1, still served by later releases): every parameter is
// a named field of the body ({"create_spec": ...}, {"spec": ...}), answers come as {"value": ...}, ids in
// /rest/com/vmware paths carry an `id:` prefix, actions are `?~action=`, maps are arrays of {key, value},
// and inventory filters are `filter.*` query parameters.

import { enc, failBody } from './routes.js';
import type { Routes } from './routes.js';
import type { InventoryKind } from './types.js';
import * as wire from './wire.js';

export const REST_SESSION_PATH = '/rest/com/vmware/cis/session';

const CL = '/rest/com/vmware/content';
const LIBRARY = `${CL}/library`;
const LOCAL = `${CL}/local-library`;
const SUBSCRIBED = `${CL}/subscribed-library`;
const ITEM = `${CL}/library/item`;
const UPDATE = `${CL}/library/item/update-session`;
const UPDATE_FILE = `${CL}/library/item/updatesession/file`;
const DOWNLOAD = `${CL}/library/item/download-session`;
const DOWNLOAD_FILE = `${CL}/library/item/downloadsession/file`;
const OVF = '/rest/com/vmware/vcenter/ovf/library-item';
/** vCenter 7.0 (before U2) serves customization specs under /rest/vcenter; 6.x does not. */
const SPECS = '/rest/vcenter/guest/customization-specs';

const ID_FILTER: Record<InventoryKind, string> = {
  datastore: 'filter.datastores',
  'resource-pool': 'filter.resource_pools',
  folder: 'filter.folders',
  network: 'filter.networks',
};

/** A resource id as a /rest/com/vmware path segment. */
const id = (x: string) => `id:${enc(x)}`;
const action = (name: string) => ({ '~action': name });

export const legacyRoutes: Routes = {
  flavour: 'rest',
  sessionPath: REST_SESSION_PATH,
  payload: (json) =>
    typeof json === 'object' && json !== null && 'value' in json
      ? (json as { value: unknown }).value
      : undefined,

  listLibraries: () => ({ method: 'GET', path: LIBRARY }),
  getLibrary: (lib) => ({ method: 'GET', path: `${LIBRARY}/${id(lib)}` }),
  findLibraries: (spec) => ({
    method: 'POST',
    path: LIBRARY,
    query: action('find'),
    body: { spec: wire.libraryFindToWire(spec) },
  }),
  createLocalLibrary: (spec) => ({
    method: 'POST',
    path: LOCAL,
    body: { create_spec: wire.localLibraryToWire(spec) },
  }),
  createSubscribedLibrary: (spec) => ({
    method: 'POST',
    path: SUBSCRIBED,
    body: { create_spec: wire.subscribedLibraryToWire(spec) },
  }),
  updateSubscribedLibrary: (lib, spec) => ({
    method: 'PATCH',
    path: `${SUBSCRIBED}/${id(lib)}`,
    body: { update_spec: wire.libraryUpdateToWire(spec) },
  }),
  syncSubscribedLibrary: (lib) => ({
    method: 'POST',
    path: `${SUBSCRIBED}/${id(lib)}`,
    query: action('sync'),
  }),
  deleteLibrary: (lib, type) => ({
    method: 'DELETE',
    path: `${type === 'LOCAL' ? LOCAL : SUBSCRIBED}/${id(lib)}`,
  }),

  listItems: (libraryId) => ({ method: 'GET', path: ITEM, query: { library_id: libraryId } }),
  getItem: (item) => ({ method: 'GET', path: `${ITEM}/${id(item)}` }),
  findItems: (spec) => ({
    method: 'POST',
    path: ITEM,
    query: action('find'),
    body: { spec: wire.itemFindToWire(spec) },
  }),
  createItem: (spec) => ({ method: 'POST', path: ITEM, body: { create_spec: wire.itemCreateToWire(spec) } }),
  updateItem: (item, spec) => ({
    method: 'PATCH',
    path: `${ITEM}/${id(item)}`,
    body: { update_spec: wire.itemUpdateToWire(spec) },
  }),
  deleteItem: (item) => ({ method: 'DELETE', path: `${ITEM}/${id(item)}` }),
  listItemFiles: (itemId) => ({ method: 'GET', path: `${ITEM}/file`, query: { library_item_id: itemId } }),

  createUpdateSession: (itemId) => ({
    method: 'POST',
    path: UPDATE,
    body: { create_spec: { library_item_id: itemId } },
  }),
  getUpdateSession: (sid) => ({ method: 'GET', path: `${UPDATE}/${id(sid)}` }),
  addUpdateFile: (sid, spec) => ({
    method: 'POST',
    path: `${UPDATE_FILE}/${id(sid)}`,
    query: action('add'),
    body: { file_spec: wire.updateFileSpecToWire(spec) },
  }),
  getUpdateFile: (sid, name) => ({
    method: 'POST',
    path: `${UPDATE_FILE}/${id(sid)}`,
    query: action('get'),
    body: { file_name: name },
  }),
  listUpdateFiles: (sid) => ({ method: 'GET', path: UPDATE_FILE, query: { update_session_id: sid } }),
  endUpdateSession: (sid, how, message) => ({
    method: 'POST',
    path: `${UPDATE}/${id(sid)}`,
    query: action(how),
    ...failBody(how, message),
  }),
  deleteUpdateSession: (sid) => ({ method: 'DELETE', path: `${UPDATE}/${id(sid)}` }),

  createDownloadSession: (itemId) => ({
    method: 'POST',
    path: DOWNLOAD,
    body: { create_spec: { library_item_id: itemId } },
  }),
  listDownloadFiles: (sid) => ({ method: 'GET', path: DOWNLOAD_FILE, query: { download_session_id: sid } }),
  prepareDownloadFile: (sid, name) => ({
    method: 'POST',
    path: `${DOWNLOAD_FILE}/${id(sid)}`,
    query: action('prepare'),
    body: { file_name: name, endpoint_type: 'HTTPS' },
  }),
  getDownloadFile: (sid, name) => ({
    method: 'POST',
    path: `${DOWNLOAD_FILE}/${id(sid)}`,
    query: action('get'),
    body: { file_name: name },
  }),
  deleteDownloadSession: (sid) => ({ method: 'DELETE', path: `${DOWNLOAD}/${id(sid)}` }),

  deployOvf: (itemId, target, spec) => ({
    method: 'POST',
    path: `${OVF}/${id(itemId)}`,
    query: action('deploy'),
    body: wire.deployToWire(target, spec, true),
  }),
  getCustomizationSpec: (name) => ({ method: 'GET', path: `${SPECS}/${enc(name)}` }),
  applyCustomization: () => undefined,

  listInventory: (kind, filter) => ({
    method: 'GET',
    path: `/rest/vcenter/${kind}`,
    query: {
      'filter.names': filter.names,
      [ID_FILTER[kind]]: filter.ids,
      ...(kind === 'folder' ? { 'filter.type': 'VIRTUAL_MACHINE' } : {}),
    },
  }),
};
