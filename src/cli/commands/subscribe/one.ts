// Subscribing one library in one vCenter: create the subscribed library (or point it at a new URL), optionally
// sync it and report what it holds.

import { setTimeout as delay } from 'node:timers/promises';
import {
  findLibraryByName,
  listLibraryItems,
  resolveDatastore,
  subscriptionSettings,
  syncLibrary,
  upsertSubscribedLibrary,
} from '../../../vcenter/index.js';
import type { LibraryInfo, SubscriptionInfo, VcenterApi } from '../../../vcenter/index.js';
import type { CliIo } from '../../io.js';
import { onlyInventory } from '../../vcenter-login.js';

export interface SubscribeRequest {
  name: string;
  description?: string;
  url: string;
  password?: string;
  thumbprint?: string;
  onDemand: boolean;
  automaticSync: boolean;
  datastore?: string;
  sync: boolean;
  syncTimeoutMs: number;
}

export interface SubscribeOutcome {
  server: string;
  library: { id: string; name: string };
  created: boolean;
  subscription: SubscriptionInfo;
  sync?: { done: boolean; lastSyncTime?: string; items: number; cachedItems: number; itemNames: string[] };
}

async function datastoreFor(api: VcenterApi, ref: string | undefined): Promise<string> {
  if (ref !== undefined) return (await resolveDatastore(api, ref)).id;
  return onlyInventory(api, 'datastore', {
    flag: '--datastore',
    question: "Which datastore should keep the new library's files?",
    example: 'datastore-12',
  });
}

async function waitForSync(
  api: VcenterApi,
  library: LibraryInfo,
  before: string | undefined,
  timeoutMs: number,
): Promise<NonNullable<SubscribeOutcome['sync']>> {
  const deadline = Date.now() + timeoutMs;
  let current = library;
  for (;;) {
    current = await api.getLibrary(library.id);
    if (current.lastSyncTime !== undefined && current.lastSyncTime !== before) break;
    if (Date.now() >= deadline) break;
    await delay(Math.min(2000, Math.max(0, deadline - Date.now())));
  }
  const done = current.lastSyncTime !== undefined && current.lastSyncTime !== before;
  const items = await listLibraryItems(api, library.id);
  return {
    done,
    ...(current.lastSyncTime === undefined ? {} : { lastSyncTime: current.lastSyncTime }),
    items: items.length,
    cachedItems: items.filter((i) => i.cached === true).length,
    itemNames: items.map((i) => i.name).sort(),
  };
}

export async function subscribeOne(api: VcenterApi, r: SubscribeRequest): Promise<SubscribeOutcome> {
  const subscription = subscriptionSettings({
    url: r.url,
    ...(r.password === undefined ? {} : { password: r.password }),
    ...(r.thumbprint === undefined ? {} : { thumbprint: r.thumbprint }),
    onDemand: r.onDemand,
    automaticSync: r.automaticSync,
  });
  const existing = await findLibraryByName(api, r.name);
  const datastoreId = existing === undefined ? await datastoreFor(api, r.datastore) : '';
  const before = existing?.lastSyncTime;
  const { library, created } = await upsertSubscribedLibrary(api, {
    name: r.name,
    ...(r.description === undefined ? {} : { description: r.description }),
    datastoreId,
    subscription,
  });
  const outcome: SubscribeOutcome = {
    server: api.server,
    library: { id: library.id, name: library.name },
    created,
    subscription: library.subscription ?? (({ password: _p, ...rest }) => rest)(subscription),
  };
  if (r.sync) {
    await syncLibrary(api, library.id);
    outcome.sync = await waitForSync(api, library, before, r.syncTimeoutMs);
  }
  return outcome;
}

export function describeOutcome(io: CliIo, o: SubscribeOutcome, label = ''): void {
  io.say(
    `${label}${o.created ? 'created' : 'updated'} subscribed library "${o.library.name}" (${o.library.id}) on ${o.server}: ` +
      `${o.subscription.subscriptionUrl}, ${o.subscription.authenticationMethod === 'BASIC' ? 'Basic auth as vcsp' : 'no authentication'}` +
      `${o.subscription.sslThumbprint ? `, thumbprint ${o.subscription.sslThumbprint}` : ''}` +
      `${o.subscription.onDemand ? ', on demand' : ''}`,
  );
  if (o.sync !== undefined) {
    io.say(
      o.sync.done
        ? `${label}  synced at ${o.sync.lastSyncTime}: ${o.sync.items} items (${o.sync.cachedItems} with files cached)`
        : `${label}  sync started, not finished yet: ${o.sync.items} items so far`,
    );
  }
}
