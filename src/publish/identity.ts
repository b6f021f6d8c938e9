// Who is acting: the identity recorded in audit entries and version snapshots. For S3 stores the caller
// identity from STS GetCallerIdentity (an ARN), made with the store's own credentials; where STS does not
// answer (Ceph RGW 16, offline, no permission) a configured name (CLAAS_ACTOR) or the access key id the
// credentials use; for local folders the OS user@host. A secret key never leaves resolveActor: only the
// access key id is read from the credentials.

import { hostname, userInfo } from 'node:os';
import type { ObjectStore, S3Location } from '../store/types.js';

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

/** The parts of an S3 store identity needs (S3StoreExtras, without importing the AWS SDK). */
interface S3Like {
  location: S3Location;
  client: {
    config: {
      credentials: () => Promise<{ accessKeyId: string }>;
      region: () => Promise<string> | string;
    };
  };
}

function isS3Like(store: ObjectStore): store is ObjectStore & S3Like {
  const s = store as Partial<S3Like>;
  return store.kind === 's3' && s.client !== undefined && s.location !== undefined;
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

interface StsModule {
  STSClient: new (config: Record<string, unknown>) => {
    send(
      command: unknown,
      options?: { abortSignal?: AbortSignal },
    ): Promise<{ Arn?: string; Account?: string; UserId?: string }>;
    destroy(): void;
  };
  GetCallerIdentityCommand: new (input: Record<string, never>) => unknown;
}

/** The STS client is loaded on demand (and optional: without it claas falls back to the key id). */
const STS_MODULE = '@aws-sdk/client-sts';

async function callerIdentity(
  s3: S3Like,
  timeoutMs: number,
): Promise<{ arn: string; account?: string } | undefined> {
  let sts: StsModule;
  try {
    sts = (await import(STS_MODULE)) as StsModule;
  } catch {
    return undefined;
  }
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const region = await s3.client.config.region();
  const client = new sts.STSClient({
    region,
    credentials: s3.client.config.credentials,
    maxAttempts: 1,
    // Ceph RGW and most S3-compatible stores serve STS (if at all) on the S3 endpoint.
    ...(s3.location.endpoint === undefined || /amazonaws\.com/i.test(s3.location.endpoint)
      ? {}
      : { endpoint: s3.location.endpoint }),
    requestHandler: new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs }),
  });
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), timeoutMs);
  try {
    const out = await client.send(new sts.GetCallerIdentityCommand({}), { abortSignal: timer.signal });
    if (out.Arn === undefined || out.Arn === '') return undefined;
    return { arn: out.Arn, ...(out.Account ? { account: out.Account } : {}) };
  } catch {
    return undefined; // not implemented (RGW), no permission, offline: fall back
  } finally {
    clearTimeout(t);
    client.destroy();
  }
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
  if (!isS3Like(store)) {
    return configured === undefined
      ? { name: os, source: 'os', os }
      : { name: configured, source: 'configured', os };
  }
  const profile = store.location.profile;
  let accessKeyId: string | undefined;
  try {
    // Only the key id is kept; the secret in the same object goes out of scope here.
    accessKeyId = (await store.client.config.credentials()).accessKeyId;
  } catch {
    accessKeyId = undefined;
  }
  const base = {
    os,
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
    ...(profile === undefined ? {} : { profile }),
  };
  if (options.noSts !== true && accessKeyId !== undefined) {
    const id = await callerIdentity(store, options.stsTimeoutMs ?? 5000);
    if (id !== undefined) {
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
