// What the `claas tenant` verbs share: which gateway (its claas.yaml files, or the tenants file directly),
// checking granted libraries against the configurations, and showing a new password once.

import type { Command } from 'commander';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ClaasError } from '../../../errors.js';
import { loadConfig } from '../../../config/load.js';
import { DEFAULT_LISTEN, DEFAULT_TENANTS_FILE } from '../../../config/schema.js';
import type { ClaasConfig } from '../../../config/schema.js';
import type { TenantRecord } from '../../../gateway/multi/tenants.js';
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
  file: string;
  configs: ClaasConfig[];
}

export async function context(ref: GatewayRef): Promise<Context> {
  const configs: ClaasConfig[] = [];
  for (const p of ref.configs) configs.push(await loadConfig(p));
  const file =
    ref.tenantsFile ??
    configs.find((c) => c.gateway !== undefined)?.gateway?.tenants ??
    join(dirname(configs[0]!.file), DEFAULT_TENANTS_FILE);
  return { file, configs };
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
