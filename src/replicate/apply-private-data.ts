// The private-data phase of `claas replication apply` (issue 16): provider-private objects an older claas
// wrote under the library prefix (audit log, locks, retention, staging, import records, temp files, restore
// markers, mirror locks, archives in the old default place) move into the library's private area under the
// control prefix, before the replication rules are written, so that a rule filtered on the library prefix
// carries none of them. The move is the store's (features.privateArea.migrate: server-side copy, then
// delete); a library at the bucket root or on a local folder has no private area and no step.

import { storeLocation } from '../config/schema.js';
import type { ClaasConfig } from '../config/schema.js';
import { displayLocation } from '../store/location.js';
import type { ObjectStore, StoredObject } from '../store/types.js';
import { isCrossAccount } from './plan-native.js';
import { openOriginStore } from './open-stores.js';
import type { Step } from './apply-types.js';

/** What a library still keeps under its prefix that belongs in its private area. */
export interface LegacyPrivateData {
  /** Where the private area is (s3://bucket/<controlPrefix>/libraries/<prefix>/). */
  area: string;
  objects: number;
  bytes: number;
  /** A few of the keys, for messages. */
  sample: string[];
}

/** Lists the origin's legacy private objects; undefined when the origin has no private area. */
export async function legacyPrivateData(config: ClaasConfig): Promise<LegacyPrivateData | undefined> {
  const store = await openOriginStore(config);
  try {
    return await legacyPrivateDataOf(store);
  } finally {
    store.close();
  }
}

/** A library store's legacy private objects; undefined when it has no private area. */
export async function legacyPrivateDataOf(store: ObjectStore): Promise<LegacyPrivateData | undefined> {
  const area = store.features.privateArea;
  if (area === undefined) return undefined;
  const found: StoredObject[] = [];
  for await (const o of area.legacy()) found.push(o);
  return {
    area: area.url,
    objects: found.length,
    bytes: found.reduce((n, o) => n + o.size, 0),
    sample: found.slice(0, 3).map((o) => o.key),
  };
}

/** True when a configuration has a native replica in another account (its rule replicates the prefix). */
export function hasCrossAccountNative(config: ClaasConfig): boolean {
  return config.replicas.some((r) => r.mode === 'native' && isCrossAccount(config, r));
}

/** The note plan and status give while a library with a cross-account native replica has legacy private objects. */
export function legacyPrivateNote(
  config: ClaasConfig,
  legacy: LegacyPrivateData | undefined,
): string | undefined {
  if (legacy === undefined || legacy.objects === 0) return undefined;
  const cross = config.replicas.filter((r) => r.mode === 'native' && isCrossAccount(config, r));
  if (cross.length === 0) return undefined;
  const prefix = displayLocation(storeLocation(config.origin));
  return (
    `${legacy.objects} provider-private objects written by an older claas (${legacy.sample.join(', ')}` +
    `${legacy.objects > legacy.sample.length ? ', …' : ''}) are still under ${prefix}/, which the rules of ` +
    `cross-account replica(s) ${cross.map((r) => `"${r.name}"`).join(', ')} replicate: ` +
    `\`claas replication apply\` moves them into ${legacy.area}.`
  );
}

/** The step that moves legacy private objects into the private area (none when there are none). */
export async function privateDataSteps(config: ClaasConfig, notes: string[]): Promise<Step[]> {
  const legacy = await legacyPrivateData(config);
  if (legacy === undefined) return [];
  const origin = displayLocation(storeLocation(config.origin));
  const step: Step = {
    kind: 'private-data',
    store: 'origin',
    target: `${origin} private data`,
    action: legacy.objects === 0 ? 'none' : 'update',
    summary:
      legacy.objects === 0
        ? `provider-private data is in ${legacy.area}`
        : `move ${legacy.objects} provider-private objects (${legacy.bytes} bytes) from ${origin}/ into ${legacy.area}`,
    apply: async () => {
      const store = await openOriginStore(config);
      try {
        await store.features.privateArea?.migrate();
      } finally {
        store.close();
      }
    },
    verify: async () => ((await legacyPrivateData(config))?.objects ?? 0) === 0,
  };
  const note = legacyPrivateNote(config, legacy);
  if (note !== undefined) notes.push(note);
  return [step];
}
