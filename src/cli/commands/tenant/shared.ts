// What the `claas tenant` verbs share: which gateway (its claas.yaml files, or the tenants file directly),
// where its tenants are (a file, or with gateway.tenants: store the control prefix of the origin bucket,
// reached with the origin's credentials), checking granted libraries against the configurations, and
// showing a new password once.

import type { Command } from 'commander';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ClaasError } from '../../../errors.js';
import { loadConfig } from '../../../config/load.js';
import {
  DEFAULT_LISTEN,
  DEFAULT_TENANTS_FILE,
  TENANTS_IN_STORE,
  storeLocation,
} from '../../../config/schema.js';
import type { ClaasConfig } from '../../../config/schema.js';
import { controlLocation, controlPrefixOf } from '../../../config/control-layout.js';
import { fileTenants } from '../../../gateway/multi/tenants.js';
import type { TenantRecord, TenantsBackend } from '../../../gateway/multi/tenants.js';
import { controlConfig } from '../../../gateway/multi/from-config.js';
import { storeTenants } from '../../../gateway/multi/tenants-store.js';
import { openStore } from '../../../store/open.js';
import type { ObjectStore } from '../../../store/types.js';
import { VCSP_USER } from '../../../vcsp/basic-auth.js';
import { defaulted } from '../../flags.js';
import type { CliIo } from '../../io.js';
import { printable } from '../../printable.js';
import { collect } from '../../options.js';

/** The gateway whose tenants a verb manages. */
export interface GatewayRef {
  configs: string[];
  tenantsFile?: string;
}

export interface GatewayFlags {
  config?: string[];
  tenants?: string;
}

export const NEW_PASSWORD_QUIET =
  'print nothing but errors and the result: the new password (shown only once) with the subscription URLs';

export function addGatewayFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'claas.yaml (repeat for every library the gateway serves)', collect)
    .addOption(defaulted('--tenants <file>', 'the tenants file', 'gateway.tenants of the configuration'));
}

export function addLibraryFlag(cmd: Command): Command {
  return cmd.requiredOption('--library <name>', 'a library it may read (repeat for more)', collect);
}

export function gatewayRef(flags: GatewayFlags): GatewayRef {
  const configs = flags.config ?? [];
  if (configs.length === 0 && flags.tenants === undefined) {
    throw new ClaasError('BAD_INPUT', 'say which gateway: give --config claas.yaml (or --tenants <file>)', {
      input: '--config',
      hint: 'the tenants file is gateway.tenants in claas.yaml (default: tenants.json beside it)',
    });
  }
  return { configs, ...(flags.tenants === undefined ? {} : { tenantsFile: flags.tenants }) };
}

export interface Context {
  /** Where the tenants are: a path, or the tenants object's location. */
  file: string;
  configs: ClaasConfig[];
  tenants: TenantsBackend;
  /** The control prefix's store when the tenants are in the store (close it when done). */
  store?: ObjectStore;
}

export async function loadConfigs(paths: string[]): Promise<ClaasConfig[]> {
  const configs: ClaasConfig[] = [];
  for (const p of paths) configs.push(await loadConfig(p));
  return configs;
}

/** The control prefix of the gateway's origin bucket, opened with the origin's own credentials. */
export async function openOriginControl(configs: ClaasConfig[]): Promise<ObjectStore> {
  const config = controlConfig(configs);
  return openStore(controlLocation(storeLocation(config.origin), controlPrefixOf(config)), {
    privateArea: false,
  });
}

export async function context(ref: GatewayRef): Promise<Context> {
  const configs = await loadConfigs(ref.configs);
  const configured = configs.find((c) => c.gateway !== undefined)?.gateway?.tenants;
  if (ref.tenantsFile === undefined && configured === TENANTS_IN_STORE) {
    const store = await openOriginControl(configs);
    const tenants = storeTenants(store);
    return { file: tenants.where, configs, tenants, store };
  }
  const file = ref.tenantsFile ?? configured ?? join(dirname(configs[0]!.file), DEFAULT_TENANTS_FILE);
  return { file, configs, tenants: fileTenants(file) };
}

/** Runs fn with the gateway's context, closing its store afterwards. */
export async function withContext<T>(ref: GatewayRef, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await context(ref);
  try {
    return await fn(ctx);
  } finally {
    ctx.store?.close();
  }
}

/** The libraries must be ones the given configurations name (a typo would grant nothing). */
export function checkGrants(ctx: Context, libraries: string[]): void {
  if (ctx.configs.length === 0) return;
  const known = ctx.configs.map((c) => c.library);
  const unknown = libraries.filter((l) => !known.includes(l));
  if (unknown.length > 0) {
    throw new ClaasError(
      'BAD_INPUT',
      `no configuration names library ${unknown.map((l) => `"${l}"`).join(', ')}`,
      {
        input: unknown.join(', '),
        hint: `known: ${known.join(', ')}; give the claas.yaml of every library with --config`,
      },
    );
  }
}

/** The subscription URLs of a tenant's libraries, as the configured gateway serves them. */
function subscriptionUrls(ctx: Context, t: TenantRecord): string[] {
  const gw = ctx.configs.find((c) => c.gateway !== undefined)?.gateway;
  const listen = (gw?.listen ?? DEFAULT_LISTEN).replace(/^(0\.0\.0\.0|\[::\]|):/, `${hostname()}:`);
  const scheme = gw?.tls === undefined ? 'http' : 'https';
  return t.libraries.map((l) => `${scheme}://${listen}/${l}/lib.json`);
}

/** A new password with how to subscribe; printed even with --quiet: it is the result and never shown again. */
export function showSecret(io: CliIo, ctx: Context, t: TenantRecord, password: string, verb: string): void {
  const urls = subscriptionUrls(ctx, t);
  if (io.json) {
    io.printJson({
      ok: true,
      tenant: t.name,
      libraries: t.libraries,
      user: VCSP_USER,
      password,
      urls,
      tenantsFile: ctx.file,
    });
    return;
  }
  io.out(
    [
      printable(`tenant ${t.name} ${verb}; it may read: ${t.libraries.join(', ')}`),
      `password (shown once; store it now): ${password}`,
      `vCenter subscription: user "${VCSP_USER}", this password, URL:`,
      ...urls.map((u) => `  ${printable(u)}`),
      '',
    ].join('\n'),
  );
}
