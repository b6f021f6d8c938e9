// The claas.yaml schema: what a user writes (zod, strict objects so a mistyped key is an error) and the
// resolved configuration the rest of claas reads (ClaasConfig: defaults applied, paths absolute, credentials
// flattened to a profile name). Credentials are only ever references: a profile name or the default chain.

import { z } from 'zod';
import { VcentersSchema } from './vcenters.js';
import { GATEWAY_ID_RE } from './control-layout.js';
import { RedirectSchema } from './redirect.js';
import type { RedirectConfig } from './redirect.js';
import type { VcenterTarget } from './vcenters.js';
import { badInput } from '../errors.js';
import { locationDefaults, parseLocation } from '../store/location.js';
import type { S3Location, WriteSettings } from '../store/types.js';

/** Destination storage classes S3 replication and claas mirroring accept (shared/docs/s3-facts.md). */
export const STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

/** Classes whose objects cannot be read without a restore: no gateway can serve from them. */
export const ARCHIVE_STORAGE_CLASSES: readonly StorageClass[] = ['GLACIER', 'DEEP_ARCHIVE'];

export const REPLICA_MODES = ['native', 'mirror'] as const;
export type ReplicaMode = (typeof REPLICA_MODES)[number];

/** Whose credential `claas mirror` writes a mirror replica with: the origin's (the publisher) or the replica's. */
export const MIRROR_WRITERS = ['origin', 'replica'] as const;
export type MirrorWriter = (typeof MIRROR_WRITERS)[number];

export const SSE_MODES = ['AES256', 'aws:kms'] as const;
export type SseMode = (typeof SSE_MODES)[number];

/** The name the origin has wherever replicas are named (gateway.prefer, status output). */
export const ORIGIN_NAME = 'origin';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const REPLICA_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
// IAM role names: up to 64 characters of letters, digits and +=,.@_-
const ROLE_NAME_RE = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_RE = /^\d{12}$/;

const text = z.string().trim().min(1, { error: 'must not be empty' });
const singleToken = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\S{1,256}$/, { error: `${what} must be one word without spaces` });

const CredentialsSchema = z.strictObject({
  /** A profile of the AWS shared config/credentials files. */
  profile: singleToken('a profile name').optional(),
  /** The default credential chain (environment variables, AWS_PROFILE, instance roles). */
  env: z.literal(true).optional(),
});

const accountSchema = z.string().regex(ACCOUNT_RE, { error: 'expected a 12-digit AWS account id' });

const storeShape = {
  location: text,
  /** Endpoint URL of an S3-compatible store; omitted = AWS. */
  endpoint: text.optional(),
  region: singleToken('a region').optional(),
  credentials: CredentialsSchema.optional(),
  /** The AWS account that owns the bucket (cross-account replication, role ARNs). */
  account: accountSchema.optional(),
  storageClass: z.enum(STORAGE_CLASSES).optional(),
  sse: z.enum(SSE_MODES).optional(),
  kmsKeyId: singleToken('a KMS key id').optional(),
};

export const OriginSchema = z.strictObject(storeShape);

export const ReplicaSchema = z.strictObject({
  name: z.string().regex(REPLICA_NAME_RE, {
    error: 'a replica name is 1-63 letters, digits, "_" or "-", starting with a letter or digit',
  }),
  ...storeShape,
  mode: z.enum(REPLICA_MODES),
  /** S3 Replication Time Control (15 minutes, with replication metrics); native replicas on AWS only. */
  replicationTime: z.boolean().optional(),
  /** Whose credential claas mirror writes this replica with (default origin: the publisher). */
  writeWith: z.enum(MIRROR_WRITERS).optional(),
});

export const GatewaySchema = z.strictObject({
  listen: text.optional(),
  prefer: z.array(text).optional(),
  credentials: CredentialsSchema.optional(),
  /** A path of the tenants file, or `store`: the tenants in the origin bucket's control prefix. */
  tenants: text.optional(),
  /** Where the provider's gateways share tenants and activity in the origin bucket (config/control-layout.ts). */
  controlPrefix: text.optional(),
  /** The gateway's id in the control prefix (default: host name and listen port). */
  id: z
    .string()
    .regex(GATEWAY_ID_RE, {
      error: 'a gateway id is 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
    })
    .optional(),
  admin: z.strictObject({ passwordFile: text }).optional(),
  /** File downloads answered with a 302 to a presigned store URL (config/redirect.ts); off by default. */
  redirect: RedirectSchema.optional(),
  tls: z
    .strictObject({ certFile: text.optional(), keyFile: text.optional(), selfSigned: z.boolean().optional() })
    .optional(),
});

/** `interval: 30s`: a whole number of milliseconds, seconds, minutes or hours (resolve checks the minimum). */
const intervalText = z
  .string()
  .trim()
  .regex(/^\d{1,9}\s*(ms|s|m|h)$/, { error: 'expected a duration like 30s, 5m or 1h' });

/** `maxDelete: 10` (items) or `maxDelete: "20%"` (of the items the library holds from the source). */
const maxDeleteValue = z.union(
  [
    z.number().int().nonnegative(),
    z
      .string()
      .trim()
      .regex(/^\d{1,3}(\.\d+)?\s*%$/, { error: 'expected a count (10) or a percentage ("20%")' }),
  ],
  { error: 'expected a count (10) or a percentage ("20%")' },
);

/** The source kinds, by the key that names each in claas.yaml. */
export const SOURCE_KEYS = ['folder', 'vcenter', 'vcsp'] as const;

/**
 * One entry of `sources:`: exactly one of folder, vcenter (with library) or vcsp, plus the settings that kind
 * takes. One object (not a union) so that a mistyped or misplaced key is reported at its line.
 */
export const SourceSchema = z
  .strictObject({
    folder: text.optional(),
    vcenter: text.optional(),
    library: text.optional(),
    vcsp: text.optional(),
    interval: intervalText.optional(),
    maxDelete: maxDeleteValue.optional(),
    passwordFile: text.optional(),
    thumbprint: text.optional(),
    caFile: text.optional(),
  })
  .superRefine((s, ctx) => {
    const kinds = SOURCE_KEYS.filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: kinds[1] === undefined ? [] : [kinds[1]],
        message: 'give exactly one of folder, vcenter (with library) or vcsp (a lib.json URL)',
      });
      return;
    }
    const only = (keys: readonly (keyof typeof s)[], kind: string) => {
      for (const key of keys) {
        if (s[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} does not apply to a ${kind} source` });
        }
      }
    };
    if (s.vcenter !== undefined && s.library === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'a vcenter source needs library: (the name or id of a library in that vCenter)',
      });
    }
    if (s.folder !== undefined) only(['library', 'passwordFile', 'thumbprint', 'caFile'], 'folder');
    if (s.vcenter !== undefined) only(['passwordFile', 'thumbprint', 'caFile'], 'vcenter');
    if (s.vcsp !== undefined) only(['library'], 'vcsp');
  });

export const ArchiveScheduleSchema = z.strictObject({
  /** Five-field cron expression (UTC). */
  schedule: text,
  to: text,
  storageClass: z.enum(STORAGE_CLASSES).optional(),
});

/** First URL segments the gateway uses itself: no library can be named so. */
export const RESERVED_LIBRARY_NAMES = ['api', 'ui', 'healthz', 'metrics'] as const;

export const ConfigSchema = z.strictObject({
  library: z
    .string()
    .regex(NAME_RE, {
      error:
        'a library name is 1-63 letters, digits, ".", "_" or "-" (it names the library in gateway URLs and replication rule ids)',
    })
    .refine((n) => !(RESERVED_LIBRARY_NAMES as readonly string[]).includes(n.toLowerCase()), {
      error: `${RESERVED_LIBRARY_NAMES.join(', ')} are the gateway's own paths: choose another library name`,
    }),
  origin: OriginSchema,
  replicas: z.array(ReplicaSchema).optional(),
  gateway: GatewaySchema.optional(),
  vcenters: VcentersSchema.optional(),
  sources: z.array(SourceSchema).min(1, { error: 'list at least one source' }).optional(),
  archive: ArchiveScheduleSchema.optional(),
  replication: z
    .strictObject({
      /** IAM role S3 assumes to replicate; default claas-replication-<source bucket>. */
      roleName: z.string().regex(ROLE_NAME_RE, {
        error: 'an IAM role name is 1-64 letters, digits or any of +=,.@_-',
      }),
    })
    .optional(),
});

export type RawConfig = z.infer<typeof ConfigSchema>;

// ---- The resolved configuration ----

/** Where a store is and how to reach it: a location string plus the settings parseLocation takes. */
export interface StoreRef {
  /** s3://bucket/prefix as written. */
  location: string;
  endpoint?: string;
  region?: string;
  /** AWS shared config profile; undefined = the default credential chain. */
  profile?: string;
  /** 12-digit AWS account id of the bucket owner, when known. */
  account?: string;
}

/** The encryption and storage settings of the objects a store holds. */
export interface StoreWriteConfig {
  storageClass?: StorageClass;
  sse?: SseMode;
  /** KMS key for SSE-KMS (for replicas: the destination key, an ARN). */
  kmsKeyId?: string;
}

export interface OriginConfig extends StoreRef, StoreWriteConfig {
  name: typeof ORIGIN_NAME;
}

export interface ReplicaConfig extends StoreRef, StoreWriteConfig {
  name: string;
  mode: ReplicaMode;
  /** S3 Replication Time Control (native on AWS). */
  replicationTime: boolean;
  /** Whose credential `claas mirror` writes this replica with (undefined = the origin's). */
  writeWith?: MirrorWriter;
}

export interface GatewayConfig {
  /** host:port as written (default 127.0.0.1:8443). */
  listen: string;
  /** Replica names, nearest first; "origin" is the origin. */
  prefer: string[];
  /** Profile of the read-only credential the gateway uses; undefined = the default chain. */
  profile?: string;
  /** Absolute path of the tenants file, or TENANTS_IN_STORE: the tenants under the control prefix. */
  tenants: string;
  /** The control prefix in the origin bucket, without slashes (default claas-control). */
  controlPrefix?: string;
  /** gateway.id: the gateway's name in the control prefix (default: host name and listen port). */
  id?: string;
  admin?: { passwordFile: string };
  /** gateway.redirect: file downloads go to the store by presigned URL; undefined = off. */
  redirect?: RedirectConfig;
  /** Absolute paths of a PEM certificate and key, or a self-signed certificate made at start. */
  tls?: { certFile: string; keyFile: string } | { selfSigned: true };
}

/** How many items one step may remove from the library, per source (`maxDelete`, default 50%). */
export type MaxDelete = { count: number } | { percent: number };

interface SourceConfigBase {
  /** Poll period in milliseconds (`interval: 30s`). */
  intervalMs: number;
  maxDelete: MaxDelete;
}

/** Where `claas run` takes a library's items from (the `sources:` section). */
export type SourceConfig =
  | (SourceConfigBase & { kind: 'folder'; /** Absolute path. */ path: string })
  | (SourceConfigBase & {
      kind: 'vcenter';
      /** A name from the vcenters: section (its server, login and certificate settings). */
      vcenter: string;
      /** A library of that vCenter, by name or id. */
      library: string;
    })
  | (SourceConfigBase & {
      kind: 'vcsp';
      /** A publisher's lib.json URL (no credentials in it). */
      url: string;
      /** Absolute path of a file holding the subscription password, when the publisher needs one. */
      passwordFile?: string;
      thumbprint?: string;
      /** Absolute path. */
      caFile?: string;
    });

/** The `archive:` section: scheduled `archive snapshot` runs of `claas run`. */
export interface ArchiveScheduleConfig {
  /** Five-field cron expression, evaluated in UTC. */
  schedule: string;
  /** Archive location, as `claas archive snapshot --to` takes it. */
  to: string;
  storageClass?: StorageClass;
}

export interface ClaasConfig {
  /** Absolute path of the file the configuration came from. */
  file: string;
  library: string;
  origin: OriginConfig;
  replicas: ReplicaConfig[];
  gateway?: GatewayConfig;
  /** The vCenters `claas subscribe --config` rolls out to (file paths absolute); undefined without the section. */
  vcenters?: VcenterTarget[];
  replication: { roleName?: string };
  /** Where `claas run` takes the items from; undefined without the section. */
  sources?: SourceConfig[];
  /** Scheduled archive snapshots of `claas run`; undefined without the section. */
  archive?: ArchiveScheduleConfig;
}

export const S3_HINT = 'Use s3://bucket/prefix with endpoint, region and credentials beside it.';
export const DEFAULT_LISTEN = '127.0.0.1:8443';
export const DEFAULT_TENANTS_FILE = 'tenants.json';
/** gateway.tenants: store — the tenants live under the control prefix of the origin bucket. */
export const TENANTS_IN_STORE = 'store';

/** The S3 location of a configured store. Throws ClaasError BAD_INPUT for a location that is not s3://. */
export function storeLocation(ref: StoreRef, env: NodeJS.ProcessEnv = process.env): S3Location {
  const loc = parseLocation(ref.location, locationDefaults(ref), env);
  if (loc.kind !== 's3')
    throw badInput('A configured store must be an s3:// location', ref.location, S3_HINT);
  return loc;
}

/** All stores of a configuration by name: the origin first, then the replicas in file order. */
export function configuredStores(config: ClaasConfig): Array<OriginConfig | ReplicaConfig> {
  return [config.origin, ...config.replicas];
}

/** The settings objects written to a store are given (storage class, encryption). */
export function storeWriteSettings(store: StoreWriteConfig): WriteSettings {
  const settings: WriteSettings = {};
  if (store.storageClass !== undefined) settings.storageClass = store.storageClass;
  if (store.sse === 'AES256') settings.sse = { mode: 'AES256' };
  if (store.sse === 'aws:kms') {
    settings.sse = { mode: 'aws:kms', ...(store.kmsKeyId === undefined ? {} : { kmsKeyId: store.kmsKeyId }) };
  }
  return settings;
}
