// `claas subscribe --config claas.yaml`: the same subscription rolled out to every vCenter the
// configuration's `vcenters:` section lists (a service provider's estate), each at its own gateway, replica or
// URL; a vCenter that fails does not stop the others.

import { ClaasError, EXIT, badInput } from '../../../errors.js';
import { loadConfig, parseConfig } from '../../../config/load.js';
import { configuredStores } from '../../../config/schema.js';
import type { ClaasConfig } from '../../../config/schema.js';
import { NO_TARGET_MESSAGE, subscriptionTargets } from '../../../config/vcenters.js';
import type { VcenterTarget } from '../../../config/vcenters.js';
import { locationDefaults, parseLocation } from '../../../store/location.js';
import type { CliIo } from '../../io.js';
import { readPasswordFile } from '../../options.js';
import { PASSWORD_ENV, vcenterLoginFrom, withVcenter } from '../../vcenter-login.js';
import { describeOutcome, subscribeOne } from './one.js';
import type { SubscribeOutcome } from './one.js';

/** What a rollout needs from claas.yaml: its vcenters: section and where origin and replicas are. */
export interface Rollout {
  /** The configuration file as given. */
  file: string;
  library: string;
  vcenters: VcenterTarget[];
  /** Where "origin" and each replica (by lowercase name) are, for `replica:` targets. */
  stores: Map<string, { location: string; endpoint?: string; region?: string }>;
}

const ROLLOUT_HINT =
  'Each entry of vcenters: has name, server, user (or userEnv), passwordFile, thumbprint or caFile, datastore, ' +
  'one of gateway / url / replica, libraries, subscriptionPasswordFile, subscriptionThumbprint, onDemand.';

function rolloutOf(config: ClaasConfig, file: string): Rollout {
  if (config.vcenters === undefined) {
    throw badInput(`${file} has no vcenters: section to roll out`, file, ROLLOUT_HINT);
  }
  return {
    file,
    library: config.library,
    vcenters: config.vcenters,
    stores: new Map(configuredStores(config).map((s) => [s.name.toLowerCase(), s])),
  };
}

/** Reads claas.yaml (with the configuration loader) for its vcenters: section. */
export async function readRollout(path: string): Promise<Rollout> {
  return rolloutOf(await loadConfig(path), path);
}

export function parseRollout(content: string, file: string): Rollout {
  return rolloutOf(parseConfig(content, file), file);
}

/** The URL at which a store (a bucket and prefix) serves a library's lib.json. */
export function storeLibJsonUrl(store: { location: string; endpoint?: string; region?: string }): string {
  const loc = parseLocation(store.location, locationDefaults(store));
  if (loc.kind !== 's3')
    throw badInput('A replica to subscribe to must be an s3:// location', store.location);
  const key = `${loc.prefix === '' ? '' : `${loc.prefix.split('/').map(encodeURIComponent).join('/')}/`}lib.json`;
  if (loc.endpoint !== undefined) return `${loc.endpoint.replace(/\/+$/, '')}/${loc.bucket}/${key}`;
  return `https://${loc.bucket}.s3.${loc.region ?? 'us-east-1'}.amazonaws.com/${key}`;
}

/** The subscription URL of one library for one vCenter target. */
export function subscriptionUrlFor(
  target: VcenterTarget,
  library: string,
  rollout: Pick<Rollout, 'stores'>,
): string {
  if (target.url !== undefined) return target.url.replaceAll('{library}', encodeURIComponent(library));
  if (target.gateway !== undefined) {
    return `${target.gateway.replace(/\/+$/, '')}/${encodeURIComponent(library)}/lib.json`;
  }
  const store = rollout.stores.get((target.replica ?? '').toLowerCase());
  if (store === undefined) throw badInput(`No replica "${target.replica}"`, target.replica ?? '');
  return storeLibJsonUrl(store);
}

interface RolloutResult {
  vcenter: string;
  server: string;
  library: string;
  ok: boolean;
  outcome?: SubscribeOutcome;
  error?: { code: string; message: string; hint?: string };
}

/** How the rollout goes: only some vCenters (by name), and whether to sync now. */
export interface RolloutOptions {
  vcenters: string[];
  sync: boolean;
  syncTimeoutMs: number;
}

/** The vCenters to roll out to: those named (each must be in the configuration), else all. */
function targetsOf(config: Rollout, names: string[]): VcenterTarget[] {
  const only = new Set(names.map((v) => v.toLowerCase()));
  const unknown = [...only].filter((n) => !config.vcenters.some((v) => v.name.toLowerCase() === n));
  if (unknown.length > 0) {
    throw badInput(
      `${config.file} lists no vCenter ${unknown.join(', ')}`,
      '--vcenter',
      `Its vCenters: ${config.vcenters.map((v) => v.name).join(', ')}.`,
    );
  }
  const chosen = config.vcenters.filter((v) => only.size === 0 || only.has(v.name.toLowerCase()));
  // A vCenter only `claas run` reads from (sources:) has nothing to subscribe to.
  const untargeted = chosen.find((v) => only.size > 0 && subscriptionTargets(v).length === 0);
  if (untargeted !== undefined)
    throw badInput(`vCenter ${untargeted.name}: ${NO_TARGET_MESSAGE}`, untargeted.name);
  return chosen.filter((v) => subscriptionTargets(v).length > 0);
}

/** Subscribes every library of one vCenter target; each outcome (or error) goes to results. */
async function rolloutTarget(
  io: CliIo,
  config: Rollout,
  target: VcenterTarget,
  o: RolloutOptions,
  results: RolloutResult[],
): Promise<void> {
  const libraries = target.libraries ?? [config.library];
  const fail = (library: string, e: unknown): void => {
    const error =
      e instanceof ClaasError
        ? { code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) }
        : { code: 'INTERNAL', message: (e as Error).message };
    results.push({ vcenter: target.name, server: target.server, library, ok: false, error });
    io.note(`${target.name}: ${library}: error: ${error.message}`);
  };
  try {
    const user = target.user ?? process.env[target.userEnv!];
    const login = await vcenterLoginFrom(
      {
        server: target.server,
        ...(user === undefined ? {} : { user }),
        passwordFile: target.passwordFile,
        ...(target.thumbprint === undefined ? {} : { thumbprint: target.thumbprint }),
        ...(target.caFile === undefined ? {} : { caFile: target.caFile }),
      },
      { ...process.env, [PASSWORD_ENV]: '' },
    );
    const password = target.subscriptionPasswordFile
      ? await readPasswordFile(
          target.subscriptionPasswordFile,
          `vcenters ${target.name} subscriptionPasswordFile`,
        )
      : undefined;
    await withVcenter(login, async (api) => {
      for (const library of libraries) {
        try {
          const outcome = await subscribeOne(api, {
            name: library,
            url: subscriptionUrlFor(target, library, config),
            ...(password === undefined ? {} : { password }),
            ...(target.subscriptionThumbprint === undefined
              ? {}
              : { thumbprint: target.subscriptionThumbprint }),
            onDemand: target.onDemand ?? false,
            automaticSync: target.automaticSync ?? true,
            ...(target.datastore === undefined ? {} : { datastore: target.datastore }),
            sync: o.sync,
            syncTimeoutMs: o.syncTimeoutMs,
          });
          results.push({ vcenter: target.name, server: target.server, library, ok: true, outcome });
          if (!io.json) describeOutcome(io, outcome, `${target.name}: `);
        } catch (e) {
          fail(library, e);
        }
      }
    });
  } catch (e) {
    for (const library of libraries) {
      if (!results.some((r) => r.vcenter === target.name && r.library === library)) fail(library, e);
    }
  }
}

export async function rollout(io: CliIo, file: string, o: RolloutOptions): Promise<number> {
  const config = await readRollout(file);
  const targets = targetsOf(config, o.vcenters);
  for (const v of config.vcenters) {
    if (!targets.includes(v) && o.vcenters.length === 0) io.note(`${v.name}: skipped: ${NO_TARGET_MESSAGE}`);
  }
  const results: RolloutResult[] = [];
  for (const target of targets) await rolloutTarget(io, config, target, o, results);
  const ok = results.every((r) => r.ok);
  if (io.json) io.printJson({ ok, config: config.file, results });
  else io.say(`${results.filter((r) => r.ok).length} of ${results.length} subscriptions in place`);
  return ok ? EXIT.OK : EXIT.FAILED;
}
