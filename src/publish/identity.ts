// Who is acting: the identity recorded in audit entries and version snapshots. For S3 stores the caller
// identity from STS GetCallerIdentity (an ARN), asked with the store's own credentials through its
// BucketAdmin (store.features.bucket); where STS does not answer (Ceph RGW 16, offline, no permission) a
// configured name (CLAAS_ACTOR) or the access key id the credentials use; for local folders the OS
// user@host. Only the access key id is ever read from the credentials, never the secret.

import { hostname, userInfo } from 'node:os';
import type { ObjectStore } from '../store/types.js';

export type ActorSource = 'sts' | 'configured' | 'access-key' | 'os';

export interface Actor {
  /** What history and audit show: an ARN, a configured name, an access key id or user@host. */
  name: string;
  source: ActorSource;
  /** From STS GetCallerIdentity. */
  arn?: string;
  account?: string;
  /** The access key id of the credentials in use (never the secret). */
  accessKeyId?: string;
  /** The AWS profile the credentials came from, when one was named. */
  profile?: string;
  /** The OS user and host the command ran as, always recorded. */
  os: string;
}

export interface ResolveActorOptions {
  /** A name set by configuration (CLAAS_ACTOR by default); used when STS does not answer. */
  configuredName?: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds STS may take before claas falls back (default 5 s). */
  stsTimeoutMs?: number;
  /** Skip STS (tests, offline). */
  noSts?: boolean;
}

export function osIdentity(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return `${user}@${hostname()}`;
}

const cache = new WeakMap<ObjectStore, Promise<Actor>>();

/** The acting identity for writes to `store` (cached per store object). */
export function resolveActor(store: ObjectStore, options: ResolveActorOptions = {}): Promise<Actor> {
  const cached = cache.get(store);
  if (cached !== undefined) return cached;
  const pending = resolveUncached(store, options);
  cache.set(store, pending);
  return pending;
}

async function resolveUncached(store: ObjectStore, options: ResolveActorOptions): Promise<Actor> {
  const env = options.env ?? process.env;
  const os = osIdentity();
  const configured = nonEmpty(options.configuredName) ?? nonEmpty(env.CLAAS_ACTOR);
  const bucket = store.features.bucket;
  if (bucket === undefined) {
    return configured === undefined
      ? { name: os, source: 'os', os }
      : { name: configured, source: 'configured', os };
  }
  const profile = bucket.location.profile;
  const accessKeyId = await bucket.accessKeyId();
  const base = {
    os,
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
    ...(profile === undefined ? {} : { profile }),
  };
  if (options.noSts !== true && accessKeyId !== undefined) {
    const id = await bucket.stsIdentity(options.stsTimeoutMs ?? 5000);
    if (id?.arn !== undefined) {
      return {
        name: id.arn,
        source: 'sts',
        arn: id.arn,
        ...(id.account === undefined ? {} : { account: id.account }),
        ...base,
      };
    }
  }
  if (configured !== undefined) return { name: configured, source: 'configured', ...base };
  if (accessKeyId !== undefined) {
    return {
      name: profile === undefined ? accessKeyId : `${accessKeyId} (profile ${profile})`,
      source: 'access-key',
      ...base,
    };
  }
  return { name: os, source: 'os', ...base };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}
