// Retention: library versions whose bytes garbage collection must keep whatever the grace period says.
// Every key claas writes except lib.json is immutable and every version has a snapshot, so keeping a
// version retrievable only means gc must not delete the keys its snapshot references. Two ways to ask:
//
//   .claas/retain/<libVersion>.json   a marker per version (who, when, why)      claas archive retain 12
//   .claas/retain/policy.json         a rule: keep the last N versions, or all   claas archive retain --keep-last 6
//
// gc consults retainedVersions(store) and adds those versions' keys to the live set.

import type { ObjectStore } from '../store/types.js';
import { ClaasError, badInput } from '../errors.js';
import { LIB_KEY, VERSIONS_PREFIX, versionFromSnapshotKey } from './layout.js';
import { readJsonKey } from './state.js';
import { parseLibJson } from '../vcsp/schema.js';
import type { Actor } from './identity.js';

export const RETAIN_PREFIX = '.claas/retain/';
export const RETAIN_POLICY_KEY = `${RETAIN_PREFIX}policy.json`;

export interface RetentionMarker {
  format: 'claas.retain/1';
  version: number;
  at: string;
  actor: Actor;
  reason?: string;
}

export interface RetentionPolicy {
  format: 'claas.retain-policy/1';
  /** Keep the newest N library versions (the current one included). */
  keepLast?: number;
  /** Keep every version (nothing superseded is ever deleted). */
  keepAll?: boolean;
  at: string;
  actor: Actor;
}

export interface Retention {
  markers: RetentionMarker[];
  policy?: RetentionPolicy;
  /** The versions kept, from markers and the policy. */
  versions: number[];
}

export function retainKey(version: number): string {
  return `${RETAIN_PREFIX}${version}.json`;
}

function versionFromRetainKey(key: string): number | undefined {
  const m = /^\.claas\/retain\/(\d+)\.json$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

function parseJson<T>(text: string, input: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ClaasError('PROTOCOL', `${input} is not valid JSON`, {
      input,
      hint: 'remove or rewrite it with `claas archive retain`',
    });
  }
}

/** Markers, policy and the versions they keep. */
export async function readRetention(store: ObjectStore): Promise<Retention> {
  const markers: RetentionMarker[] = [];
  const versions = new Set<number>();
  for await (const obj of store.list(RETAIN_PREFIX)) {
    const v = versionFromRetainKey(obj.key);
    if (v === undefined) continue;
    versions.add(v);
    const m = await readJsonKey(store, obj.key, (t, i) => parseJson<RetentionMarker>(t, i));
    if (m !== undefined) markers.push({ ...m, version: v });
  }
  const policy = await readJsonKey(store, RETAIN_POLICY_KEY, (t, i) => parseJson<RetentionPolicy>(t, i));
  if (policy?.keepAll === true || (policy?.keepLast ?? 0) > 0) {
    const lib = await readJsonKey(store, LIB_KEY, parseLibJson);
    const current = lib === undefined ? 0 : Number(lib.version);
    if (policy?.keepAll === true) {
      for await (const obj of store.list(VERSIONS_PREFIX)) {
        const v = versionFromSnapshotKey(obj.key);
        if (v !== undefined && v <= current) versions.add(v);
      }
    } else {
      const n = policy?.keepLast ?? 0;
      for (let v = current; v > Math.max(0, current - n); v -= 1) versions.add(v);
    }
  }
  return {
    markers: markers.sort((a, b) => a.version - b.version),
    ...(policy === undefined ? {} : { policy }),
    versions: [...versions].sort((a, b) => a - b),
  };
}

/** The library versions garbage collection must keep (markers and the retention rule). */
export async function retainedVersions(store: ObjectStore): Promise<Set<number>> {
  return new Set((await readRetention(store)).versions);
}

function json(doc: unknown) {
  return { kind: 'bytes' as const, data: Buffer.from(`${JSON.stringify(doc, null, 2)}\n`) };
}

/** Marks versions to keep. Versions that do not exist (yet) are refused. */
export async function retainVersions(
  store: ObjectStore,
  versions: number[],
  o: { actor: Actor; reason?: string; now?: Date },
): Promise<RetentionMarker[]> {
  const lib = await readJsonKey(store, LIB_KEY, parseLibJson);
  const current = lib === undefined ? 0 : Number(lib.version);
  const out: RetentionMarker[] = [];
  for (const v of versions) {
    if (!Number.isSafeInteger(v) || v < 1 || v > current) {
      throw badInput(
        `library version ${v} does not exist (the library is at version ${current})`,
        String(v),
        'give versions from `claas history <item>` or `claas audit`',
      );
    }
    const marker: RetentionMarker = {
      format: 'claas.retain/1',
      version: v,
      at: (o.now ?? new Date()).toISOString(),
      actor: o.actor,
      ...(o.reason === undefined ? {} : { reason: o.reason }),
    };
    await store.put(retainKey(v), json(marker), { contentType: 'application/json', role: 'metadata' });
    out.push(marker);
  }
  return out;
}

/** Removes retention markers (the versions' bytes go at the next gc once outside the grace period). */
export async function releaseVersions(store: ObjectStore, versions: number[]): Promise<void> {
  await store.delete(versions.map(retainKey));
}

/** Sets (or, with neither keepLast nor keepAll, removes) the retention rule. */
export async function setRetentionPolicy(
  store: ObjectStore,
  o: { keepLast?: number; keepAll?: boolean; actor: Actor; now?: Date },
): Promise<RetentionPolicy | undefined> {
  if (o.keepLast === undefined && o.keepAll !== true) {
    await store.delete([RETAIN_POLICY_KEY]);
    return undefined;
  }
  const policy: RetentionPolicy = {
    format: 'claas.retain-policy/1',
    ...(o.keepLast === undefined ? {} : { keepLast: o.keepLast }),
    ...(o.keepAll === true ? { keepAll: true } : {}),
    at: (o.now ?? new Date()).toISOString(),
    actor: o.actor,
  };
  await store.put(RETAIN_POLICY_KEY, json(policy), { contentType: 'application/json', role: 'metadata' });
  return policy;
}
