// `claas subscribe`: create (or point at a new URL) a subscribed library in a vCenter, optionally sync it
// and report what it holds. `claas subscribe --config claas.yaml` rolls the same out to every vCenter the
// configuration's `vcenters:` section lists (a service provider's estate), each at its own gateway.

import type { Command } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { ClaasError, EXIT, badInput } from '../../errors.js';
import { loadConfig, parseConfig } from '../../config/load.js';
import { configuredStores } from '../../config/schema.js';
import type { ClaasConfig } from '../../config/schema.js';
import { locationDefaults, parseLocation } from '../../store/location.js';
import {
  findLibraryByName,
  listLibraryItems,
  resolveDatastore,
  subscriptionSettings,
  syncLibrary,
  upsertSubscribedLibrary,
} from '../../vcenter/index.js';
import type {
  LibraryInfo,
  SubscriptionInfo,
  VcenterApi,
  VcenterConnectOptions,
} from '../../vcenter/index.js';
import { collect, parseDuration, readPasswordFile } from '../options.js';
import { note, printJson, say } from '../output.js';
import type { OutputMode } from '../output.js';
import { runCommand } from '../run.js';
import {
  PASSWORD_ENV,
  addVcenterLoginOptions,
  onlyInventory,
  vcenterLoginFrom,
  withVcenter,
} from '../vcenter-login.js';
import type { VcenterLoginFlags } from '../vcenter-login.js';

// ---- the configuration's vcenters: section ----

import { VcenterTargetSchema, VcentersSchema } from '../../config/vcenters.js';
import type { VcenterTarget } from '../../config/vcenters.js';
export { VcenterTargetSchema, VcentersSchema };
export type { VcenterTarget };

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

// ---- subscribing one library ----

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

// ---- the command ----

interface SubscribeFlags extends VcenterLoginFlags {
  config?: string;
  vcenter?: string[];
  name?: string;
  description?: string;
  url?: string;
  subscriptionPasswordFile?: string;
  subscriptionThumbprint?: string;
  onDemand?: boolean;
  autoSync: boolean;
  datastore?: string;
  sync?: boolean;
  syncTimeout: string;
  json?: boolean;
  quiet?: boolean;
}

function describeOutcome(mode: OutputMode, o: SubscribeOutcome, label = ''): void {
  say(
    mode,
    `${label}${o.created ? 'created' : 'updated'} subscribed library "${o.library.name}" (${o.library.id}) on ${o.server}: ` +
      `${o.subscription.subscriptionUrl}, ${o.subscription.authenticationMethod === 'BASIC' ? 'Basic auth as vcsp' : 'no authentication'}` +
      `${o.subscription.sslThumbprint ? `, thumbprint ${o.subscription.sslThumbprint}` : ''}` +
      `${o.subscription.onDemand ? ', on demand' : ''}`,
  );
  if (o.sync !== undefined) {
    say(
      mode,
      o.sync.done
        ? `${label}  synced at ${o.sync.lastSyncTime}: ${o.sync.items} items (${o.sync.cachedItems} with files cached)`
        : `${label}  sync started, not finished yet: ${o.sync.items} items so far`,
    );
  }
}

async function single(mode: OutputMode, flags: SubscribeFlags): Promise<number> {
  if (flags.name === undefined || flags.url === undefined) {
    throw new ClaasError('BAD_INPUT', 'subscribe needs --name and --url (or --config)', {
      input: 'claas subscribe',
      hint: 'claas subscribe --server vc --name templates --url https://gw.example.com/templates/lib.json, or --config claas.yaml',
    });
  }
  const login = await vcenterLoginFrom(flags);
  const password = flags.subscriptionPasswordFile
    ? await readPasswordFile(flags.subscriptionPasswordFile, '--subscription-password-file')
    : undefined;
  const outcome = await withVcenter(login, (api) =>
    subscribeOne(api, {
      name: flags.name!,
      ...(flags.description === undefined ? {} : { description: flags.description }),
      url: flags.url!,
      ...(password === undefined ? {} : { password }),
      ...(flags.subscriptionThumbprint === undefined ? {} : { thumbprint: flags.subscriptionThumbprint }),
      onDemand: flags.onDemand ?? false,
      automaticSync: flags.autoSync,
      ...(flags.datastore === undefined ? {} : { datastore: flags.datastore }),
      sync: flags.sync ?? false,
      syncTimeoutMs: parseDuration(flags.syncTimeout, '--sync-timeout'),
    }),
  );
  if (mode.json) printJson({ ok: true, ...outcome });
  else describeOutcome(mode, outcome);
  return 0;
}

interface RolloutResult {
  vcenter: string;
  server: string;
  library: string;
  ok: boolean;
  outcome?: SubscribeOutcome;
  error?: { code: string; message: string; hint?: string };
}

async function rollout(mode: OutputMode, flags: SubscribeFlags): Promise<number> {
  const config = await readRollout(flags.config!);
  const only = new Set((flags.vcenter ?? []).map((v) => v.toLowerCase()));
  const unknown = [...only].filter((n) => !config.vcenters.some((v) => v.name.toLowerCase() === n));
  if (unknown.length > 0) {
    throw badInput(
      `${config.file} lists no vCenter ${unknown.join(', ')}`,
      '--vcenter',
      `Its vCenters: ${config.vcenters.map((v) => v.name).join(', ')}.`,
    );
  }
  const targets = config.vcenters.filter((v) => only.size === 0 || only.has(v.name.toLowerCase()));
  const results: RolloutResult[] = [];
  const syncTimeoutMs = parseDuration(flags.syncTimeout, '--sync-timeout');
  for (const target of targets) {
    const libraries = target.libraries ?? [config.library];
    const fail = (library: string, e: unknown): void => {
      const error =
        e instanceof ClaasError
          ? { code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) }
          : { code: 'INTERNAL', message: (e as Error).message };
      results.push({ vcenter: target.name, server: target.server, library, ok: false, error });
      note(mode, `${target.name}: ${library}: error: ${error.message}`);
    };
    try {
      const user = target.user ?? process.env[target.userEnv!];
      const login: VcenterConnectOptions = await vcenterLoginFrom(
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
              sync: flags.sync ?? false,
              syncTimeoutMs,
            });
            results.push({ vcenter: target.name, server: target.server, library, ok: true, outcome });
            if (!mode.json) describeOutcome(mode, outcome, `${target.name}: `);
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
  const ok = results.every((r) => r.ok);
  if (mode.json) printJson({ ok, config: config.file, results });
  else say(mode, `${results.filter((r) => r.ok).length} of ${results.length} subscriptions in place`);
  return ok ? EXIT.OK : EXIT.FAILED;
}

export function registerSubscribe(program: Command): void {
  const cmd = program
    .command('subscribe')
    .description('create or update a subscribed library in vCenter (or in every vCenter of --config)')
    .option('--config <file>', 'claas.yaml: subscribe every vCenter of its vcenters: section')
    .option('--vcenter <name>', 'with --config: only this vCenter (repeatable)', collect)
    .option('--name <library>', 'the subscribed library name in vCenter')
    .option('--description <text>', 'the library description')
    .option(
      '--url <subscription url>',
      "the publisher's lib.json URL (a claas gateway, claas serve, any VCSP endpoint)",
    )
    .option(
      '--subscription-password-file <file>',
      'Basic auth password (user "vcsp") vCenter sends to the publisher',
    )
    .option(
      '--subscription-thumbprint <sha1>',
      "the publisher certificate's SHA-1 thumbprint, for vCenter to pin",
    )
    .option('--on-demand', 'download files only when used (metadata now)')
    .option('--no-auto-sync', 'do not let vCenter sync automatically')
    .option('--datastore <datastore>', 'where a new library keeps its files (name or id)')
    .option('--sync', 'sync now and report what the library holds')
    .option('--sync-timeout <duration>', 'how long to wait for the sync with --sync', '10m');
  addVcenterLoginOptions(cmd, { serverRequired: false });
  cmd
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'print nothing but errors');
  cmd.action(async (flags: SubscribeFlags) => {
    await runCommand(flags, async (mode) => {
      if (flags.config !== undefined) {
        const conflicting = (
          [
            'server',
            'name',
            'url',
            'user',
            'passwordFile',
            'thumbprint',
            'caFile',
            'datastore',
            'subscriptionPasswordFile',
            'subscriptionThumbprint',
          ] as const
        ).filter((k) => flags[k] !== undefined);
        if (conflicting.length > 0) {
          throw badInput(
            `--config takes everything from the file; --${conflicting[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not go with it`,
            '--config',
          );
        }
        return rollout(mode, flags);
      }
      return single(mode, flags);
    });
  });
}
