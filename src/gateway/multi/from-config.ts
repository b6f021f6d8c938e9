// The gateway as claas.yaml describes it. One claas.yaml names one library; a gateway serves several by
// being given several (`--config a.yaml --config b.yaml`). Gateway settings (listen, prefer, credentials,
// tenants, admin, tls) come from the first file that has a `gateway:` section; a file's own
// gateway.prefer/credentials, when it has them, apply to its library. Stores are opened read-only in
// spirit: with the gateway's credential profile (gateway.credentials; none = the default chain), never
// the publisher's. With gateway.tenants: store, the tenants come from the control prefix of the first store
// of gateway.prefer that carries it (origin and the provider's own native replicas; never a mirror or
// another account's replica), and activity is written to the origin's control prefix.

import { dirname, join } from 'node:path';
import { ClaasError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import {
  DEFAULT_LISTEN,
  DEFAULT_TENANTS_FILE,
  ORIGIN_NAME,
  TENANTS_IN_STORE,
  storeLocation,
} from '../../config/schema.js';
import { controlLocation, controlPrefixOf } from '../../config/control-layout.js';
import type { ClaasConfig, GatewayConfig, OriginConfig, ReplicaConfig } from '../../config/schema.js';
import type { S3StoreOptions } from '../../store/s3.js';
import type { ObjectStore, S3Location } from '../../store/types.js';
import type { GatewayLibrary } from './gateway.js';
import type { MatrixSource } from '../admin/replica-matrix.js';
import { readPasswordFile } from '../../util/password-file.js';
import { redirectForStore } from '../../config/redirect.js';
import type { ControlSource } from './tenant-view.js';

export interface GatewaySettings {
  /** The configurations, in the order given. */
  configs: ClaasConfig[];
  /** The effective gateway section (defaults when no file has one). */
  gateway: GatewayConfig;
  /** Absolute path of the tenants file, or TENANTS_IN_STORE. */
  tenantsFile: string;
  /** True with gateway.tenants: store. */
  tenantsInStore: boolean;
}

export async function loadGatewaySettings(paths: string[]): Promise<GatewaySettings> {
  if (paths.length === 0) {
    throw new ClaasError('BAD_INPUT', 'the gateway needs a configuration', {
      input: '--config',
      hint: 'give claas.yaml with --config (once per library)',
    });
  }
  const configs: ClaasConfig[] = [];
  for (const p of paths) configs.push(await loadConfig(p));
  const withGateway = configs.find((c) => c.gateway !== undefined);
  const gateway: GatewayConfig = withGateway?.gateway ?? {
    listen: DEFAULT_LISTEN,
    prefer: [ORIGIN_NAME],
    tenants: join(dirname(configs[0]!.file), DEFAULT_TENANTS_FILE),
  };
  return {
    configs,
    gateway,
    tenantsFile: gateway.tenants,
    tenantsInStore: gateway.tenants === TENANTS_IN_STORE,
  };
}

/** The stores of one configuration the gateway reads, nearest first. */
export function preferredStores(
  config: ClaasConfig,
  main: GatewayConfig,
): Array<OriginConfig | ReplicaConfig> {
  const all: Array<OriginConfig | ReplicaConfig> = [config.origin, ...config.replicas];
  const prefer = config.gateway?.prefer ?? main.prefer.filter((n) => all.some((s) => s.name === n));
  const picked = prefer.flatMap((n) => all.filter((s) => s.name === n));
  return picked.length > 0 ? picked : [config.origin];
}

/** Where a store is, as the gateway reaches it: with the gateway's profile, not the store's own. */
export function gatewayLocation(
  store: OriginConfig | ReplicaConfig,
  profile: string | undefined,
): S3Location {
  const { profile: _own, ...loc } = storeLocation(store);
  return profile === undefined ? loc : { ...loc, profile };
}

/**
 * S3 settings for serving: many downloads at once (each holds one connection to the store for its whole
 * transfer), and few, quick retries so that a replica that is down is failed over from in seconds.
 */
export const GATEWAY_S3_OPTIONS: S3StoreOptions = {
  // maxSockets = files x parts + 32 (s3.ts): 1,056 connections per store.
  concurrency: { files: 32, parts: 32 },
  maxAttempts: 2,
  connectionTimeoutMs: 3_000,
};

/** The libraries of the configurations with their stores opened. */
export async function openGatewayLibraries(settings: GatewaySettings): Promise<GatewayLibrary[]> {
  // Loaded here, not at the top: the AWS SDK is large and only S3 stores need it.
  const { openS3Store } = await import('../../store/s3.js');
  const libraries: GatewayLibrary[] = [];
  for (const config of settings.configs) {
    const profile = (config.gateway ?? settings.gateway).profile;
    const redirect = (config.gateway ?? settings.gateway).redirect;
    const replicas: GatewayLibrary['replicas'] = [];
    for (const s of preferredStores(config, settings.gateway)) {
      const loc = gatewayLocation(s, profile);
      const direct = redirectForStore(redirect, s.name); // gateway.redirect (a change rebuilds the library)
      const store: ObjectStore = await openS3Store(loc, GATEWAY_S3_OPTIONS);
      const id = JSON.stringify([
        loc.bucket,
        loc.prefix,
        loc.endpoint ?? '',
        loc.region ?? '',
        loc.profile ?? '',
        direct?.expiresSeconds ?? 0,
      ]);
      replicas.push({ name: s.name, id, store, ...(direct === undefined ? {} : { redirect: direct }) });
    }
    libraries.push({ name: config.library, replicas });
  }
  return libraries;
}

/** The configuration whose origin bucket holds the gateway's control prefix: the one with the gateway section. */
export function controlConfig(configs: ClaasConfig[]): ClaasConfig {
  return configs.find((c) => c.gateway !== undefined) ?? configs[0]!;
}

/**
 * The stores whose control prefix may carry the tenants, nearest first: those of gateway.prefer, without
 * mirror replicas and replicas in another account (replication never gives them control data). Only
 * gateway.prefer: a gateway placed where it reaches nothing else is not pointed at the origin.
 */
export function controlStores(settings: GatewaySettings): Array<OriginConfig | ReplicaConfig> {
  const config = controlConfig(settings.configs);
  const own = (s: OriginConfig | ReplicaConfig): boolean =>
    s.name === ORIGIN_NAME ||
    ((s as ReplicaConfig).mode === 'native' &&
      (s.account === undefined ||
        config.origin.account === undefined ||
        s.account === config.origin.account));
  const picked = preferredStores(config, settings.gateway).filter(own);
  return picked.length > 0 ? picked : [config.origin];
}

const CONTROL_S3_OPTIONS: S3StoreOptions = { maxAttempts: 2, connectionTimeoutMs: 3_000 };

/** The control prefix of each store of controlStores, opened with the gateway's credential. */
export async function openControlSources(settings: GatewaySettings): Promise<ControlSource[]> {
  const { openS3Store } = await import('../../store/s3.js');
  const config = controlConfig(settings.configs);
  const profile = settings.gateway.profile;
  const prefix = controlPrefixOf(config);
  const sources: ControlSource[] = [];
  for (const s of controlStores(settings)) {
    const loc = controlLocation(gatewayLocation(s, profile), prefix);
    sources.push({ name: s.name, store: await openS3Store(loc, CONTROL_S3_OPTIONS) });
  }
  return sources;
}

/** The origin's control prefix with the gateway's credential: where the gateway writes its activity. */
export async function openControlWriteStore(settings: GatewaySettings): Promise<ObjectStore> {
  const { openS3Store } = await import('../../store/s3.js');
  const config = controlConfig(settings.configs);
  const loc = controlLocation(
    gatewayLocation(config.origin, settings.gateway.profile),
    controlPrefixOf(config),
  );
  return openS3Store(loc, CONTROL_S3_OPTIONS);
}

/**
 * What the dashboard's replica matrix and audit feed read: each configuration with an opener for any of its
 * stores (origin or replica, by name) as the gateway reaches it. Each check opens and closes its own stores.
 */
export function dashboardSources(settings: GatewaySettings): MatrixSource[] {
  return settings.configs.map((config) => {
    const profile = (config.gateway ?? settings.gateway).profile;
    return {
      library: config.library,
      config,
      async open(name: string): Promise<ObjectStore> {
        const store = [config.origin, ...config.replicas].find((s) => s.name === name);
        if (store === undefined) {
          throw new ClaasError('NOT_FOUND', `${config.file} names no store "${name}"`, { input: name });
        }
        const { openS3Store } = await import('../../store/s3.js');
        return openS3Store(gatewayLocation(store, profile), {
          maxAttempts: 2,
          connectionTimeoutMs: 3_000,
          // The origin's audit log is in its private area (issue 16).
          ...(store === config.origin ? { privateArea: { controlPrefix: controlPrefixOf(config) } } : {}),
        });
      },
    };
  });
}

/**
 * The admin password (first line of gateway.admin.passwordFile), when configured; onWarning hears when the
 * file is readable by group or others.
 */
export async function readAdminPassword(
  gateway: GatewayConfig,
  onWarning: (message: string) => void = () => undefined,
): Promise<string | undefined> {
  if (gateway.admin === undefined) return undefined;
  const { password, warning } = await readPasswordFile(
    gateway.admin.passwordFile,
    'gateway.admin.passwordFile',
  );
  if (warning !== undefined) onWarning(warning);
  return password;
}
