// --datastore, --resource-pool, --folder and --network take a name or a managed object id: this finds
// the one object meant, or explains why not (none, or several of that name). vCenters whose API lacks
// the inventory calls (vcsim, for one) still accept ids, passed through unverified.

import { ClaasError, isClaasError } from '../errors.js';
import type { VcenterApi } from './api.js';
import type { InventoryKind, InventoryRef } from './types.js';

export interface Resolved extends InventoryRef {
  /** False when the server could not be asked and the id was taken as given. */
  verified: boolean;
}

const LABEL: Record<InventoryKind, string> = {
  datastore: 'datastore',
  'resource-pool': 'resource pool',
  folder: 'VM folder',
  network: 'network',
};

const EXAMPLE_ID: Record<InventoryKind, string> = {
  datastore: 'datastore-12',
  'resource-pool': 'resgroup-9',
  folder: 'group-v4',
  network: 'network-13',
};

/**
 * Whether text has the form of a managed object id (datastore-12, resgroup-v5, group-v4, dvportgroup-20;
 * vcsim's local datastores are <path>@folder-N).
 */
export function looksLikeId(text: string): boolean {
  return /^[a-z]+-[a-z]?\d+$/i.test(text) || /@[a-z]+-[a-z]?\d+$/i.test(text);
}

async function list(api: VcenterApi, kind: InventoryKind, filter: { names?: string[]; ids?: string[] }) {
  try {
    return await api.listInventory(kind, filter);
  } catch (e) {
    // 404 on a collection: this server does not implement the call at all.
    if (isClaasError(e, 'NOT_FOUND')) return undefined;
    throw e;
  }
}

export async function resolveInventory(api: VcenterApi, kind: InventoryKind, ref: string): Promise<Resolved> {
  const label = LABEL[kind];
  const text = ref.trim();
  if (text === '') throw new ClaasError('BAD_INPUT', `No ${label} given`, { input: ref });
  const byId = looksLikeId(text) ? await list(api, kind, { ids: [text] }) : [];
  if (byId === undefined) return { id: text, name: text, verified: false };
  const hit = byId.find((r) => r.id === text);
  if (hit !== undefined) return { ...hit, verified: true };
  const byName = await list(api, kind, { names: [text] });
  if (byName === undefined) {
    throw new ClaasError('PROTOCOL', `vCenter ${api.server} cannot look up a ${label} by name`, {
      input: text,
      hint: `Its API has no ${kind} list; give the ${label}'s managed object id instead (like ${EXAMPLE_ID[kind]}).`,
    });
  }
  const named = byName.filter((r) => r.name === text);
  if (named.length === 1) return { ...named[0]!, verified: true };
  if (named.length > 1) {
    throw new ClaasError('BAD_INPUT', `vCenter ${api.server} has ${named.length} ${label}s named '${text}'`, {
      input: text,
      hint: `Give one of their ids instead: ${named.map((r) => r.id).join(', ')}.`,
    });
  }
  const all = (await list(api, kind, {})) ?? [];
  const some = all.slice(0, 10).map((r) => `${r.name} (${r.id})`);
  throw new ClaasError('NOT_FOUND', `vCenter ${api.server} has no ${label} named or with id '${text}'`, {
    input: text,
    hint:
      some.length > 0
        ? `Known ${label}s: ${some.join(', ')}${all.length > 10 ? ', ...' : ''}.`
        : `Check the ${label} in the vSphere Client.`,
  });
}

export const resolveDatastore = (api: VcenterApi, ref: string) => resolveInventory(api, 'datastore', ref);
export const resolveResourcePool = (api: VcenterApi, ref: string) =>
  resolveInventory(api, 'resource-pool', ref);
export const resolveFolder = (api: VcenterApi, ref: string) => resolveInventory(api, 'folder', ref);
export const resolveNetwork = (api: VcenterApi, ref: string) => resolveInventory(api, 'network', ref);
