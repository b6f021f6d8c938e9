// Content libraries by name: find, create a local one on a datastore, create or update a subscribed one
// (claas subscribe), read its subscription back, sync it, delete.

import { ClaasError, badInput, isClaasError } from '../errors.js';
import { VCSP_USER } from '../vcsp/basic-auth.js';
import { normalizeThumbprint } from '../net/tls.js';
import type { VcenterApi } from './api.js';
import type { LibraryInfo, SubscriptionInfo, SubscriptionSettings } from './types.js';

/** The library with this name (vCenter compares library names case-insensitively), if any. */
export async function findLibraryByName(api: VcenterApi, name: string): Promise<LibraryInfo | undefined> {
  const ids = await api.findLibraries({ name });
  const libraries = await Promise.all(ids.map((id) => api.getLibrary(id)));
  return (
    libraries.find((l) => l.name === name) ??
    libraries.find((l) => l.name.toLowerCase() === name.toLowerCase())
  );
}

/** A library by id or name; NOT_FOUND names both the library and the vCenter. */
export async function requireLibrary(api: VcenterApi, nameOrId: string): Promise<LibraryInfo> {
  try {
    return await api.getLibrary(nameOrId);
  } catch (e) {
    if (!isClaasError(e, 'NOT_FOUND') && !isClaasError(e, 'BAD_INPUT')) throw e;
  }
  const found = await findLibraryByName(api, nameOrId);
  if (found !== undefined) return found;
  throw new ClaasError('NOT_FOUND', `vCenter ${api.server} has no content library '${nameOrId}'`, {
    input: nameOrId,
    hint: 'Check the library name (or id) in the vSphere Client under Content Libraries.',
  });
}

export interface LocalLibraryOptions {
  name: string;
  description?: string;
  /** The datastore that holds the library's files (its managed object id). */
  datastoreId: string;
}

export async function createLocalLibrary(api: VcenterApi, o: LocalLibraryOptions): Promise<LibraryInfo> {
  const id = await api.createLocalLibrary({
    name: o.name,
    ...(o.description === undefined ? {} : { description: o.description }),
    storageBackings: [{ type: 'DATASTORE', datastoreId: o.datastoreId }],
  });
  return api.getLibrary(id);
}

export interface SubscriptionOptions {
  /** The publisher's lib.json URL (http or https). */
  url: string;
  /** Basic-auth password (user "vcsp"); none means no authentication. */
  password?: string;
  /** SHA-1 thumbprint of the publisher's certificate, for https URLs it cannot verify by CA. */
  thumbprint?: string;
  onDemand?: boolean;
  /** Sync automatically (vCenter's default interval); default true. */
  automaticSync?: boolean;
}

/** vSphere subscription settings from claas's options: BASIC with user vcsp when a password is given. */
export function subscriptionSettings(o: SubscriptionOptions): SubscriptionSettings {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw badInput(
      'Not a subscription URL',
      o.url,
      "Give the URL of the library's lib.json, e.g. https://gw.example.com/lib/templates/lib.json.",
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw badInput(`A subscription URL must be http or https, not ${url.protocol}`, o.url);
  }
  if (url.username !== '' || url.password !== '') {
    throw badInput(
      'The subscription URL holds credentials',
      '(subscription URL)',
      'Give the password with --subscription-password-file instead.',
    );
  }
  const settings: SubscriptionSettings = {
    subscriptionUrl: url.toString(),
    authenticationMethod: o.password === undefined || o.password === '' ? 'NONE' : 'BASIC',
    onDemand: o.onDemand ?? false,
    automaticSyncEnabled: o.automaticSync ?? true,
  };
  if (settings.authenticationMethod === 'BASIC') {
    settings.userName = VCSP_USER;
    settings.password = o.password;
  }
  if (o.thumbprint !== undefined) settings.sslThumbprint = normalizeThumbprint(o.thumbprint);
  return settings;
}

export interface SubscribedLibraryOptions {
  name: string;
  description?: string;
  /** Where a new library keeps its files; an existing library keeps its storage. */
  datastoreId: string;
  subscription: SubscriptionSettings;
}

/**
 * Creates the subscribed library, or points the existing one of that name at the (new) subscription.
 * A local library of that name is never touched.
 */
export async function upsertSubscribedLibrary(
  api: VcenterApi,
  o: SubscribedLibraryOptions,
): Promise<{ library: LibraryInfo; created: boolean }> {
  const existing = await findLibraryByName(api, o.name);
  const description = o.description === undefined ? {} : { description: o.description };
  if (existing === undefined) {
    const id = await api.createSubscribedLibrary({
      name: o.name,
      ...description,
      storageBackings: [{ type: 'DATASTORE', datastoreId: o.datastoreId }],
      subscription: o.subscription,
    });
    return { library: await api.getLibrary(id), created: true };
  }
  if (existing.type !== 'SUBSCRIBED') {
    throw new ClaasError('CONFLICT', `vCenter ${api.server} already has a local library named '${o.name}'`, {
      input: o.name,
      hint: 'Choose another name for the subscribed library, or remove the local one in vCenter first.',
    });
  }
  await api.updateSubscribedLibrary(existing.id, { ...description, subscription: o.subscription });
  return { library: await api.getLibrary(existing.id), created: false };
}

async function requireSubscribed(
  api: VcenterApi,
  libraryId: string,
): Promise<LibraryInfo & { subscription: SubscriptionInfo }> {
  const library = await api.getLibrary(libraryId);
  if (library.type !== 'SUBSCRIBED' || library.subscription === undefined) {
    throw new ClaasError(
      'BAD_INPUT',
      `Library '${library.name}' on vCenter ${api.server} is not a subscribed library`,
      {
        input: library.name,
      },
    );
  }
  return library as LibraryInfo & { subscription: SubscriptionInfo };
}

/** The subscription settings as vCenter holds them (never the password). */
export async function getSubscription(api: VcenterApi, libraryId: string): Promise<SubscriptionInfo> {
  return (await requireSubscribed(api, libraryId)).subscription;
}

/** Starts a sync of a subscribed library (vCenter syncs in the background). */
export async function syncLibrary(api: VcenterApi, libraryId: string): Promise<void> {
  await requireSubscribed(api, libraryId);
  await api.syncSubscribedLibrary(libraryId);
}

/** Deletes a library of either type, with everything in it. */
export async function deleteLibrary(api: VcenterApi, libraryId: string): Promise<void> {
  const library = await api.getLibrary(libraryId);
  await api.deleteLibrary(library.id, library.type);
}
