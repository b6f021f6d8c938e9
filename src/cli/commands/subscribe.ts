// `claas subscribe`: create (or point at a new URL) a subscribed library in a vCenter, optionally sync it
// and report what it holds. `claas subscribe --config claas.yaml` rolls the same out to every vCenter the
// configuration's `vcenters:` section lists (a service provider's estate), each at its own gateway.

import type { Command } from 'commander';
import { ClaasError, badInput } from '../../errors.js';
import type { CliIo } from '../io.js';
import { collect, parseDuration, readPasswordFile } from '../options.js';
import type { Deprecated, Verb } from '../verb.js';
import { addVcenterLoginOptions, vcenterLoginFrom, vcenterLoginOf, withVcenter } from '../vcenter-login.js';
import type { VcenterLogin, VcenterLoginFlags } from '../vcenter-login.js';
import { describeOutcome, subscribeOne } from './subscribe/one.js';
import type { SubscribeRequest } from './subscribe/one.js';
import { rollout } from './subscribe/rollout.js';
import type { RolloutOptions } from './subscribe/rollout.js';

/** One subscribed library in the vCenter of the login flags; the publisher's password read at run time. */
export type SingleSubscription = Omit<SubscribeRequest, 'password'> & {
  login: VcenterLogin;
  /** The Basic auth password vCenter sends to the publisher. */
  passwordFile?: string;
};

export type SubscribeOptions =
  ({ kind: 'single' } & SingleSubscription) | ({ kind: 'rollout'; config: string } & RolloutOptions);

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
}

/** Flags that name what --config holds. */
const FROM_CONFIG = [
  'server',
  'name',
  'url',
  'user',
  'passwordFile',
  'vcenterThumbprint',
  'vcenterCaFile',
  'thumbprint',
  'caFile',
  'datastore',
  'subscriptionPasswordFile',
  'subscriptionThumbprint',
] as const;

export function define(cmd: Command): void {
  cmd
    .option('--config <file>', 'claas.yaml: subscribe every vCenter of its vcenters: section')
    .option('--vcenter <name>', 'with --config: only this vCenter (repeatable)', collect)
    .option('--name <name>', "the subscribed library's name in vCenter")
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
}

function single(flags: SubscribeFlags, deprecated: Deprecated, syncTimeoutMs: number): SingleSubscription {
  if (flags.name === undefined || flags.url === undefined) {
    throw new ClaasError('BAD_INPUT', 'subscribe needs --name and --url (or --config)', {
      input: 'claas subscribe',
      hint: 'claas subscribe --server vc --name templates --url https://gw.example.com/templates/lib.json, or --config claas.yaml',
    });
  }
  return {
    login: vcenterLoginOf('subscribe', flags, deprecated),
    name: flags.name,
    ...(flags.description === undefined ? {} : { description: flags.description }),
    url: flags.url,
    ...(flags.subscriptionPasswordFile === undefined ? {} : { passwordFile: flags.subscriptionPasswordFile }),
    ...(flags.subscriptionThumbprint === undefined ? {} : { thumbprint: flags.subscriptionThumbprint }),
    onDemand: flags.onDemand ?? false,
    automaticSync: flags.autoSync,
    ...(flags.datastore === undefined ? {} : { datastore: flags.datastore }),
    sync: flags.sync ?? false,
    syncTimeoutMs,
  };
}

export function parse(_args: [], flags: SubscribeFlags, deprecated: Deprecated): SubscribeOptions {
  const syncTimeoutMs = parseDuration(flags.syncTimeout, '--sync-timeout');
  if (flags.config === undefined) return { kind: 'single', ...single(flags, deprecated, syncTimeoutMs) };
  const conflicting = FROM_CONFIG.filter((k) => flags[k] !== undefined);
  if (conflicting.length > 0) {
    const flag = `--${conflicting[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw badInput(`--config takes everything from the file; ${flag} does not go with it`, '--config');
  }
  return {
    kind: 'rollout',
    config: flags.config,
    vcenters: flags.vcenter ?? [],
    sync: flags.sync ?? false,
    syncTimeoutMs,
  };
}

async function subscribeSingle(io: CliIo, o: SingleSubscription): Promise<number> {
  const { login, passwordFile, ...request } = o;
  const connect = await vcenterLoginFrom(login);
  const password =
    passwordFile === undefined
      ? undefined
      : await readPasswordFile(passwordFile, '--subscription-password-file');
  const outcome = await withVcenter(connect, (api) =>
    subscribeOne(api, { ...request, ...(password === undefined ? {} : { password }) }),
  );
  if (io.json) io.printJson({ ok: true, ...outcome });
  else describeOutcome(io, outcome);
  return 0;
}

export async function run(o: SubscribeOptions, io: CliIo): Promise<number> {
  if (o.kind === 'rollout') return rollout(io, o.config, o);
  const { kind: _kind, ...single } = o;
  return subscribeSingle(io, single);
}

export const verb: Verb<SubscribeOptions, SubscribeFlags, []> = {
  name: 'subscribe',
  description: 'create or update a subscribed library in vCenter (or in every vCenter of --config)',
  define,
  parse,
  run,
};
