// The stores a claas.yaml names, opened as ObjectStores: the origin (with its credentials and write
// settings) and each replica, either for reading (with the replica's own credentials: what status and the
// gateway see) or for writing by `claas mirror` (by default as the origin's identity, the publisher, which
// the replica bucket's owner lets write through the bucket policy `claas replication apply` sets; with
// `writeWith: replica` or `claas mirror --write-with replica` as the replica's own identity). The origin keeps
// its provider-private keys in its private area under the configuration's control prefix (issue 16).

import { ClaasError } from '../errors.js';
import { storeLocation, storeWriteSettings } from '../config/schema.js';
import type {
  ClaasConfig,
  MirrorWriter,
  OriginConfig,
  ReplicaConfig,
  StoreWriteConfig,
} from '../config/schema.js';
import { controlPrefixOf } from '../config/control-layout.js';
import { openStore } from '../store/open.js';
import type { OpenStoreOptions } from '../store/open.js';
import type { ObjectStore, S3Location, WriteSettings } from '../store/types.js';
import type { S3StoreExtras } from '../store/s3.js';

export type ConfiguredStore = ObjectStore & S3StoreExtras;

export interface OpenOriginOptions extends Omit<OpenStoreOptions, 'write'> {
  /** Another profile than the configured one (e.g. publish --profile). */
  profile?: string;
  /** Write settings on top of the origin's configured ones. */
  write?: WriteSettings;
}

export interface OpenReplicaOptions extends Omit<OpenStoreOptions, 'write'> {
  /**
   * Open for writing (claas mirror): as the identity replicaWriter names, with the replica's storage class
   * and encryption for data files.
   */
  write?: boolean;
  /** Another profile than the default for this use. */
  profile?: string;
  /** For writing: whose credential, instead of the replica's writeWith (claas mirror --write-with). */
  writeWith?: MirrorWriter;
}

/** The credential claas mirror writes a replica with, and where that choice came from (for messages). */
export interface ReplicaWriter {
  /** The AWS profile (undefined = the default credential chain). */
  profile: string | undefined;
  /** origin: the origin's credential; replica: the replica's own; profile: a --profile given for the run. */
  as: MirrorWriter | 'profile';
}

/**
 * Whose credential writes a replica: a profile given for the run, else writeWith (given for the run, else the
 * replica's in claas.yaml), by default the origin's.
 */
export function replicaWriter(
  config: ClaasConfig,
  replica: ReplicaConfig,
  opts: { profile?: string; writeWith?: MirrorWriter } = {},
): ReplicaWriter {
  if (opts.profile !== undefined) return { profile: opts.profile, as: 'profile' };
  const as = opts.writeWith ?? replica.writeWith ?? 'origin';
  return { profile: as === 'replica' ? replica.profile : config.origin.profile, as };
}

export function findReplica(config: ClaasConfig, name: string): ReplicaConfig {
  const replica = config.replicas.find((r) => r.name.toLowerCase() === name.toLowerCase());
  if (replica === undefined) {
    const known = config.replicas.map((r) => r.name);
    throw new ClaasError('BAD_INPUT', `${config.file} has no replica named "${name}"`, {
      input: name,
      hint:
        known.length === 0
          ? 'the configuration names no replicas; add them under replicas:'
          : `replicas: ${known.join(', ')}`,
    });
  }
  return replica;
}

function withProfile(loc: S3Location, profile: string | undefined): S3Location {
  if (profile === undefined) return loc;
  return { ...loc, profile };
}

function writeSettings(store: StoreWriteConfig, extra: WriteSettings = {}): WriteSettings {
  return { ...storeWriteSettings(store), ...extra };
}

async function open(loc: S3Location, opts: OpenStoreOptions): Promise<ConfiguredStore> {
  return (await openStore(loc, opts)) as ConfiguredStore;
}

/** The origin store, with its configured credentials, storage class and encryption. */
export async function openOriginStore(
  config: ClaasConfig,
  opts: OpenOriginOptions = {},
): Promise<ConfiguredStore> {
  const { profile, write, ...rest } = opts;
  const loc = withProfile(storeLocation(config.origin), profile);
  return open(loc, {
    privateArea: { controlPrefix: controlPrefixOf(config) },
    ...rest,
    write: writeSettings(config.origin, write),
  });
}

/** The profile a store is reached with (undefined = the default chain). */
export function profileOf(store: OriginConfig | ReplicaConfig): string | undefined {
  return store.profile;
}

/**
 * A replica's store. For reading: the replica's own credentials. For writing (`write: true`): the writer's
 * credentials (replicaWriter: the origin's by default, the publisher writes mirror replicas), the replica's
 * storage class and encryption. When the writer is not the replica's configured identity (another bucket
 * owner), objects are written with the canned ACL bucket-owner-full-control so that the bucket's owner can
 * read them.
 */
export async function openReplicaStore(
  config: ClaasConfig,
  name: string,
  opts: OpenReplicaOptions = {},
): Promise<ConfiguredStore> {
  const replica = findReplica(config, name);
  const { write, profile, writeWith, ...options } = opts;
  // A replica is not where the provider keeps its private data: nothing relocates there (issue 16).
  const rest: OpenStoreOptions = { privateArea: false, ...options };
  const base = storeLocation(replica);
  if (write !== true) return open(withProfile(base, profile), rest);
  const writer = replicaWriter(config, replica, {
    ...(profile === undefined ? {} : { profile }),
    ...(writeWith === undefined ? {} : { writeWith }),
  }).profile;
  return open(
    { ...base, ...(writer === undefined ? { profile: undefined } : { profile: writer }) },
    {
      ...rest,
      write: writeSettings(replica),
      ...(writer === replica.profile ? {} : { bucketOwnerFullControl: true }),
    },
  );
}
