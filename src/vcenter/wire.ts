// The vSphere Automation API's JSON structures (snake_case, identical in /api and /rest) to and from
// claas's types. The flavours differ only in envelopes, paths and map encoding, handled by their modules.

import type {
  Checksum,
  ChecksumAlgorithm,
  CustomizationSpecInfo,
  DownloadFileInfo,
  InventoryKind,
  InventoryRef,
  ItemCreateSpec,
  ItemFileInfo,
  ItemFindSpec,
  ItemInfo,
  ItemUpdateSpec,
  LibraryFindSpec,
  LibraryInfo,
  LibraryUpdateSpec,
  OvfDeployResult,
  OvfDeploySpec,
  OvfDeployTarget,
  SessionInfo,
  StorageBacking,
  SubscribedLibraryCreateSpec,
  SubscriptionInfo,
  SubscriptionSettings,
  TransferEndpoint,
  UpdateFileInfo,
  UpdateFileSpec,
  LibraryCreateSpec,
} from './types.js';
import {
  asArray,
  asObject,
  messageText,
  optBoolean,
  optInteger,
  optObject,
  optString,
  protocolError,
  reqString,
} from './shape.js';
import type { Json, ShapeContext } from './shape.js';

/** Drops undefined fields so that optional values are omitted from request bodies. */
function compact(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

// ---- libraries ----

function storageToWire(b: StorageBacking): Json {
  return compact({ type: b.type, datastore_id: b.datastoreId, storage_uri: b.storageUri });
}

export function subscriptionToWire(s: SubscriptionSettings): Json {
  return compact({
    subscription_url: s.subscriptionUrl,
    authentication_method: s.authenticationMethod,
    user_name: s.userName,
    password: s.password,
    ssl_thumbprint: s.sslThumbprint,
    on_demand: s.onDemand,
    automatic_sync_enabled: s.automaticSyncEnabled,
  });
}

export function localLibraryToWire(spec: LibraryCreateSpec): Json {
  return compact({
    name: spec.name,
    description: spec.description,
    type: 'LOCAL',
    storage_backings: spec.storageBackings.map(storageToWire),
  });
}

export function subscribedLibraryToWire(spec: SubscribedLibraryCreateSpec): Json {
  return compact({
    name: spec.name,
    description: spec.description,
    type: 'SUBSCRIBED',
    storage_backings: spec.storageBackings.map(storageToWire),
    subscription_info: subscriptionToWire(spec.subscription),
  });
}

export function libraryUpdateToWire(spec: LibraryUpdateSpec): Json {
  return compact({
    name: spec.name,
    description: spec.description,
    subscription_info: spec.subscription === undefined ? undefined : subscriptionToWire(spec.subscription),
  });
}

export function libraryFindToWire(spec: LibraryFindSpec): Json {
  return compact({ name: spec.name, type: spec.type });
}

function subscriptionFromWire(ctx: ShapeContext, o: Json): SubscriptionInfo {
  const method = reqString(ctx, o, 'authentication_method');
  if (method !== 'NONE' && method !== 'BASIC') {
    throw protocolError(ctx, `an unknown authentication_method "${method}"`);
  }
  // The password is deliberately not read: real vCenters never return it and claas never carries it.
  const info: SubscriptionInfo = {
    subscriptionUrl: reqString(ctx, o, 'subscription_url'),
    authenticationMethod: method,
    onDemand: optBoolean(ctx, o, 'on_demand') ?? false,
    automaticSyncEnabled: optBoolean(ctx, o, 'automatic_sync_enabled') ?? false,
  };
  const userName = optString(ctx, o, 'user_name');
  const thumbprint = optString(ctx, o, 'ssl_thumbprint');
  if (userName !== undefined) info.userName = userName;
  if (thumbprint !== undefined) info.sslThumbprint = thumbprint;
  return info;
}

/** Copies the optional string fields [wireKey, ourKey] that are present. */
function copyStrings<T extends object>(
  ctx: ShapeContext,
  o: Json,
  into: T,
  keys: Array<[string, keyof T]>,
): T {
  for (const [wire, ours] of keys) {
    const v = optString(ctx, o, wire);
    if (v !== undefined) (into as Record<keyof T, unknown>)[ours] = v;
  }
  return into;
}

export function libraryFromWire(ctx: ShapeContext, v: unknown): LibraryInfo {
  const o = asObject(ctx, v);
  const type = reqString(ctx, o, 'type');
  if (type !== 'LOCAL' && type !== 'SUBSCRIBED')
    throw protocolError(ctx, `an unknown library type "${type}"`);
  const backings =
    o.storage_backings === undefined ? [] : asArray(ctx, o.storage_backings, '"storage_backings"');
  const lib: LibraryInfo = {
    id: reqString(ctx, o, 'id'),
    name: reqString(ctx, o, 'name'),
    type,
    storageBackings: backings.map((b) => {
      const w = asObject(ctx, b, 'a storage backing');
      const kind = optString(ctx, w, 'type') === 'OTHER' ? 'OTHER' : 'DATASTORE';
      return copyStrings<StorageBacking>(ctx, w, { type: kind }, [
        ['datastore_id', 'datastoreId'],
        ['storage_uri', 'storageUri'],
      ]);
    }),
  };
  copyStrings(ctx, o, lib, [
    ['description', 'description'],
    ['version', 'version'],
    ['creation_time', 'creationTime'],
    ['last_modified_time', 'lastModifiedTime'],
    ['last_sync_time', 'lastSyncTime'],
  ]);
  const sub = optObject(ctx, o, 'subscription_info');
  if (sub !== undefined) lib.subscription = subscriptionFromWire(ctx, sub);
  const pub = optObject(ctx, o, 'publish_info');
  const publishUrl = pub === undefined ? undefined : optString(ctx, pub, 'publish_url');
  if (publishUrl !== undefined) lib.publishUrl = publishUrl;
  return lib;
}

// ---- items ----

export function itemCreateToWire(spec: ItemCreateSpec): Json {
  return compact({
    library_id: spec.libraryId,
    name: spec.name,
    description: spec.description,
    type: spec.type,
  });
}

export function itemUpdateToWire(spec: ItemUpdateSpec): Json {
  return compact({ name: spec.name, description: spec.description });
}

export function itemFindToWire(spec: ItemFindSpec): Json {
  return compact({ library_id: spec.libraryId, name: spec.name, type: spec.type });
}

export function itemFromWire(ctx: ShapeContext, v: unknown): ItemInfo {
  const o = asObject(ctx, v);
  const item: ItemInfo = {
    id: reqString(ctx, o, 'id'),
    libraryId: reqString(ctx, o, 'library_id'),
    name: reqString(ctx, o, 'name'),
  };
  copyStrings(ctx, o, item, [
    ['description', 'description'],
    ['type', 'type'],
    ['content_version', 'contentVersion'],
    ['metadata_version', 'metadataVersion'],
    ['version', 'version'],
    ['source_id', 'sourceId'],
    ['creation_time', 'creationTime'],
    ['last_modified_time', 'lastModifiedTime'],
    ['last_sync_time', 'lastSyncTime'],
  ]);
  const size = optInteger(ctx, o, 'size');
  const cached = optBoolean(ctx, o, 'cached');
  if (size !== undefined) item.size = size;
  if (cached !== undefined) item.cached = cached;
  return item;
}

const ALGORITHMS: ReadonlySet<string> = new Set(['SHA1', 'MD5', 'SHA256', 'SHA512']);

function checksumFromWire(ctx: ShapeContext, o: Json): Checksum | undefined {
  const c = optObject(ctx, o, 'checksum_info');
  if (c === undefined) return undefined;
  const checksum = optString(ctx, c, 'checksum');
  const algorithm = optString(ctx, c, 'algorithm') ?? 'SHA1'; // the API's default
  if (checksum === undefined || !ALGORITHMS.has(algorithm)) return undefined;
  return { algorithm: algorithm as ChecksumAlgorithm, checksum: checksum.toLowerCase() };
}

export function itemFileFromWire(ctx: ShapeContext, v: unknown): ItemFileInfo {
  const o = asObject(ctx, v, 'a file');
  const file: ItemFileInfo = { name: reqString(ctx, o, 'name') };
  const size = optInteger(ctx, o, 'size');
  const cached = optBoolean(ctx, o, 'cached');
  const version = optString(ctx, o, 'version');
  const checksum = checksumFromWire(ctx, o);
  if (size !== undefined) file.size = size;
  if (cached !== undefined) file.cached = cached;
  if (version !== undefined) file.version = version;
  if (checksum !== undefined) file.checksum = checksum;
  return file;
}

// ---- update and download sessions ----

export function sessionFromWire(ctx: ShapeContext, v: unknown): SessionInfo {
  const o = asObject(ctx, v);
  const s: SessionInfo = { id: reqString(ctx, o, 'id'), state: reqString(ctx, o, 'state') };
  copyStrings(ctx, o, s, [
    ['library_item_id', 'libraryItemId'],
    ['expiration_time', 'expirationTime'],
  ]);
  const error = messageText(o.error_message);
  if (error !== undefined) s.errorMessage = error;
  return s;
}

export function updateFileSpecToWire(spec: UpdateFileSpec): Json {
  return compact({
    name: spec.name,
    source_type: spec.sourceType,
    source_endpoint: spec.sourceUri === undefined ? undefined : { uri: spec.sourceUri },
    size: spec.size,
    checksum_info:
      spec.checksum === undefined
        ? undefined
        : { algorithm: spec.checksum.algorithm, checksum: spec.checksum.checksum },
  });
}

function endpointFromWire(ctx: ShapeContext, o: Json, key: string): TransferEndpoint | undefined {
  const e = optObject(ctx, o, key);
  if (e === undefined) return undefined;
  const endpoint: TransferEndpoint = { uri: reqString(ctx, e, 'uri') };
  const thumbprint = optString(ctx, e, 'ssl_certificate_thumbprint');
  if (thumbprint !== undefined) endpoint.sslCertificateThumbprint = thumbprint;
  return endpoint;
}

/** Fields common to the update and download sessions' file infos. */
function transferFileFromWire(ctx: ShapeContext, v: unknown, endpointKey: string) {
  const o = asObject(ctx, v, 'a file');
  const file: UpdateFileInfo & DownloadFileInfo = {
    name: reqString(ctx, o, 'name'),
    status: reqString(ctx, o, 'status'),
  };
  const endpoint = endpointFromWire(ctx, o, endpointKey);
  const size = optInteger(ctx, o, 'size');
  const bytes = optInteger(ctx, o, 'bytes_transferred');
  const error = messageText(o.error_message);
  if (size !== undefined) file.size = size;
  if (bytes !== undefined) file.bytesTransferred = bytes;
  if (error !== undefined) file.errorMessage = error;
  return { o, file, endpoint };
}

export function updateFileFromWire(ctx: ShapeContext, v: unknown): UpdateFileInfo {
  const { file, endpoint } = transferFileFromWire(ctx, v, 'upload_endpoint');
  if (endpoint !== undefined) file.uploadEndpoint = endpoint;
  return file;
}

export function downloadFileFromWire(ctx: ShapeContext, v: unknown): DownloadFileInfo {
  const { o, file, endpoint } = transferFileFromWire(ctx, v, 'download_endpoint');
  if (endpoint !== undefined) file.downloadEndpoint = endpoint;
  const checksum = checksumFromWire(ctx, o);
  if (checksum !== undefined) file.checksum = checksum;
  return file;
}

// ---- OVF deploy ----

/**
 * The deploy request body. vSphere maps are JSON objects in /api and arrays of {key, value} in /rest
 * (mapsAsPairs).
 */
export function deployToWire(target: OvfDeployTarget, spec: OvfDeploySpec, mapsAsPairs: boolean): Json {
  const networks = spec.networkMappings;
  let networkMappings: unknown;
  if (networks !== undefined && Object.keys(networks).length > 0) {
    networkMappings = mapsAsPairs
      ? Object.entries(networks).map(([key, value]) => ({ key, value }))
      : { ...networks };
  }
  return {
    target: compact({
      resource_pool_id: target.resourcePoolId,
      folder_id: target.folderId,
      host_id: target.hostId,
    }),
    deployment_spec: compact({
      name: spec.name,
      annotation: spec.annotation,
      accept_all_EULA: spec.acceptAllEula,
      default_datastore_id: spec.defaultDatastoreId,
      network_mappings: networkMappings,
      storage_provisioning: spec.storageProvisioning,
    }),
  };
}

/** The messages of an OVF error/warning entry ({category, error, message, issues}). */
function ovfMessages(entry: unknown): string[] {
  if (typeof entry !== 'object' || entry === null) return [];
  const e = entry as Json;
  const out: string[] = [];
  const own = messageText(e.message);
  if (own !== undefined) out.push(own);
  const inner = e.error as Json | undefined;
  if (typeof inner === 'object' && inner !== null && Array.isArray(inner.messages)) {
    for (const m of inner.messages) {
      const t = messageText(m);
      if (t !== undefined) out.push(t);
    }
  }
  if (Array.isArray(e.issues)) {
    for (const issue of e.issues) {
      const t = messageText((issue as Json | null)?.message);
      if (t !== undefined) out.push(t);
    }
  }
  return out;
}

export function deployResultFromWire(ctx: ShapeContext, v: unknown): OvfDeployResult {
  const o = asObject(ctx, v);
  const result: OvfDeployResult = {
    succeeded: optBoolean(ctx, o, 'succeeded') ?? false,
    errors: [],
    warnings: [],
  };
  const resource = optObject(ctx, o, 'resource_id');
  if (resource !== undefined) {
    result.resource = { type: reqString(ctx, resource, 'type'), id: reqString(ctx, resource, 'id') };
  }
  const error = optObject(ctx, o, 'error');
  if (error !== undefined) {
    const errors = Array.isArray(error.errors) ? error.errors : [];
    const warnings = Array.isArray(error.warnings) ? error.warnings : [];
    result.errors = errors.flatMap(ovfMessages);
    result.warnings = warnings.flatMap(ovfMessages);
    const first = errors[0] as Json | undefined;
    if (typeof first?.category === 'string') result.errorCategory = first.category;
  }
  if (result.succeeded && result.resource === undefined) {
    throw protocolError(ctx, 'success but no resource_id');
  }
  return result;
}

// ---- inventory ----

/** The id field of each inventory summary: {datastore, name}, {resource_pool, name}, ... */
export const INVENTORY_ID_FIELD: Record<InventoryKind, string> = {
  datastore: 'datastore',
  'resource-pool': 'resource_pool',
  folder: 'folder',
  network: 'network',
};

export function inventoryFromWire(ctx: ShapeContext, kind: InventoryKind, v: unknown): InventoryRef[] {
  return asArray(ctx, v).map((entry) => {
    const o = asObject(ctx, entry, `a ${kind}`);
    const ref: InventoryRef = {
      id: reqString(ctx, o, INVENTORY_ID_FIELD[kind]),
      name: reqString(ctx, o, 'name'),
    };
    const type = optString(ctx, o, 'type');
    if (type !== undefined) ref.type = type;
    return ref;
  });
}

// ---- guest customization ----

export function customizationSpecFromWire(
  ctx: ShapeContext,
  name: string,
  v: unknown,
): CustomizationSpecInfo {
  const o = asObject(ctx, v);
  const description = optString(ctx, o, 'description');
  return { name: optString(ctx, o, 'name') ?? name, ...(description === undefined ? {} : { description }) };
}
