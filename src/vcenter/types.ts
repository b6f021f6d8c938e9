// The vCenter content library, OVF and inventory objects claas works with, in claas's own (camelCase)
// form. Both API flavours (/api and /rest) are mapped to and from these by wire.ts.

export type Flavour = 'api' | 'rest';

export type LibraryType = 'LOCAL' | 'SUBSCRIBED';

export interface StorageBacking {
  type: 'DATASTORE' | 'OTHER';
  datastoreId?: string;
  storageUri?: string;
}

/** What a subscribed library is told about its publisher (vSphere's `subscription_info`). */
export interface SubscriptionSettings {
  subscriptionUrl: string;
  authenticationMethod: 'NONE' | 'BASIC';
  /** vCenter always sends "vcsp" as the user name. */
  userName?: string;
  /** Write-only: sent on create/update, never read back (vCenter does not return it). */
  password?: string;
  /** The publisher certificate's SHA-1 thumbprint, AA:BB:... */
  sslThumbprint?: string;
  /** Download metadata now and file contents only when used. */
  onDemand: boolean;
  automaticSyncEnabled: boolean;
}

/** Subscription settings as read back from vCenter: never a password. */
export type SubscriptionInfo = Omit<SubscriptionSettings, 'password'>;

export interface LibraryInfo {
  id: string;
  name: string;
  description?: string;
  type: LibraryType;
  storageBackings: StorageBacking[];
  subscription?: SubscriptionInfo;
  publishUrl?: string;
  version?: string;
  creationTime?: string;
  lastModifiedTime?: string;
  lastSyncTime?: string;
}

export interface LibraryCreateSpec {
  name: string;
  description?: string;
  storageBackings: StorageBacking[];
}

export interface SubscribedLibraryCreateSpec extends LibraryCreateSpec {
  subscription: SubscriptionSettings;
}

export interface LibraryUpdateSpec {
  name?: string;
  description?: string;
  subscription?: SubscriptionSettings;
}

export interface LibraryFindSpec {
  name?: string;
  type?: LibraryType;
}

/** vCenter's item types: "ovf" (OVF template), "iso", "file"; others exist (vm-template). */
export interface ItemInfo {
  id: string;
  libraryId: string;
  name: string;
  description?: string;
  type?: string;
  size?: number;
  cached?: boolean;
  contentVersion?: string;
  metadataVersion?: string;
  version?: string;
  sourceId?: string;
  creationTime?: string;
  lastModifiedTime?: string;
  lastSyncTime?: string;
}

export interface ItemCreateSpec {
  libraryId: string;
  name: string;
  description?: string;
  type?: string;
}

export interface ItemUpdateSpec {
  name?: string;
  description?: string;
}

export interface ItemFindSpec {
  libraryId?: string;
  name?: string;
  type?: string;
}

export type ChecksumAlgorithm = 'SHA1' | 'MD5' | 'SHA256' | 'SHA512';

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  /** Lowercase hex. */
  checksum: string;
}

/** A file of a library item as the item lists it. */
export interface ItemFileInfo {
  name: string;
  size?: number;
  cached?: boolean;
  version?: string;
  checksum?: Checksum;
}

export interface TransferEndpoint {
  uri: string;
  sslCertificateThumbprint?: string;
}

/** ACTIVE, DONE, ERROR, CANCELED (and, on newer vCenters, PREVIEW states). */
export interface SessionInfo {
  id: string;
  libraryItemId?: string;
  state: string;
  errorMessage?: string;
  expirationTime?: string;
}

export interface UpdateFileSpec {
  name: string;
  sourceType: 'PUSH' | 'PULL';
  /** PULL only: where vCenter fetches the file from. */
  sourceUri?: string;
  size?: number;
  checksum?: Checksum;
}

/** WAITING_FOR_TRANSFER, TRANSFERRING, READY, VALIDATING, ERROR. */
export interface UpdateFileInfo {
  name: string;
  status: string;
  uploadEndpoint?: TransferEndpoint;
  size?: number;
  bytesTransferred?: number;
  errorMessage?: string;
}

/** UNPREPARED, PREPARE_REQUESTED, PREPARING, PREPARED, ERROR. */
export interface DownloadFileInfo {
  name: string;
  status: string;
  downloadEndpoint?: TransferEndpoint;
  size?: number;
  bytesTransferred?: number;
  checksum?: Checksum;
  errorMessage?: string;
}

export interface OvfDeployTarget {
  resourcePoolId: string;
  folderId?: string;
  hostId?: string;
}

export type StorageProvisioning = 'thin' | 'thick' | 'eagerZeroedThick';

export interface OvfDeploySpec {
  /** The new VM's name. */
  name: string;
  annotation?: string;
  acceptAllEula: boolean;
  defaultDatastoreId?: string;
  /** OVF network name (ovf:NetworkSection) -> vCenter network id. */
  networkMappings?: Record<string, string>;
  storageProvisioning?: StorageProvisioning;
}

export interface OvfDeployResult {
  succeeded: boolean;
  /** The new VM (type VirtualMachine) or vApp (VirtualApp). */
  resource?: { type: string; id: string };
  /** INPUT, VALIDATION or SERVER: the category of the first error, if any. */
  errorCategory?: string;
  errors: string[];
  warnings: string[];
}

export interface CustomizationSpecInfo {
  name: string;
  description?: string;
}

export type InventoryKind = 'datastore' | 'resource-pool' | 'folder' | 'network';

/** A datastore, resource pool, VM folder or network: its managed object id and name. */
export interface InventoryRef {
  id: string;
  name: string;
  type?: string;
}

export interface InventoryFilter {
  names?: string[];
  ids?: string[];
}
