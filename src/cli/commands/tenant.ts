// `claas tenant add|update|rotate|remove|list`: the tenants of the gateway (gateway.tenants in claas.yaml).
// A tenant's password is generated, shown once (`password` in --json output) and stored only as a scrypt
// hash; vCenter subscribes with user "vcsp" and that password at https://<gateway>/<library>/lib.json.

import type { Command } from 'commander';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ClaasError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { DEFAULT_LISTEN, DEFAULT_TENANTS_FILE } from '../../config/schema.js';
import type { ClaasConfig } from '../../config/schema.js';
import {
  addTenant,
  readTenants,
  removeTenant,
  rotateTenant,
  tenantInfo,
  updateTenant,
} from '../../gateway/multi/tenants.js';
import type { TenantRecord } from '../../gateway/multi/tenants.js';
import { VCSP_USER } from '../../vcsp/basic-auth.js';
import { collect } from '../options.js';
import { printJson, say } from '../output.js';
import type { OutputMode } from '../output.js';
import { runCommand } from '../run.js';

interface TenantFlags {
  config?: string[];
  tenants?: string;
  library?: string[];
  json?: boolean;
  quiet?: boolean;
}

interface Context {
  file: string;
  configs: ClaasConfig[];
}

async function context(flags: TenantFlags): Promise<Context> {
  const paths = flags.config ?? [];
  if (paths.length === 0 && flags.tenants === undefined) {
    throw new ClaasError('BAD_INPUT', 'say which gateway: give --config claas.yaml (or --tenants <file>)', {
      input: '--config',
      hint: 'the tenants file is gateway.tenants in claas.yaml (default: tenants.json beside it)',
    });
  }
  const configs: ClaasConfig[] = [];
  for (const p of paths) configs.push(await loadConfig(p));
  const first = configs[0];
  const file =
    flags.tenants ??
    configs.find((c) => c.gateway !== undefined)?.gateway?.tenants ??
    join(dirname(first!.file), DEFAULT_TENANTS_FILE);
  return { file, configs };
}

/** The libraries must be ones the given configurations name (a typo would grant nothing). */
function checkGrants(ctx: Context, libraries: string[]): void {
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

function showSecret(mode: OutputMode, ctx: Context, t: TenantRecord, password: string, verb: string): void {
  const urls = subscriptionUrls(ctx, t);
  if (mode.json) {
    printJson({
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
  // The password goes to stdout even with --quiet: it is the result and is never shown again.
  process.stdout.write(
    [
      `tenant ${t.name} ${verb}; it may read: ${t.libraries.join(', ')}`,
      `password (shown once; store it now): ${password}`,
      `vCenter subscription: user "${VCSP_USER}", this password, URL:`,
      ...urls.map((u) => `  ${u}`),
      '',
    ].join('\n'),
  );
}

export function registerTenant(program: Command): void {
  const tenant = program
    .command('tenant')
    .description("manage the gateway's tenants: who may read which libraries, each with its own password");

  const common = (cmd: Command): Command =>
    cmd
      .option('--config <file>', 'claas.yaml (repeat for every library the gateway serves)', collect)
      .option('--tenants <file>', 'the tenants file (default: gateway.tenants of the configuration)')
      .option('--json', 'print the result as JSON')
      .option('-q, --quiet', 'print nothing but errors (and a new password)');

  /** A subcommand that names one tenant (and, with `grants`, the libraries it may read). */
  const sub = (
    name: string,
    description: string,
    grants: boolean,
    body: (tenantName: string, ctx: Context, mode: OutputMode, libraries: string[]) => Promise<void>,
  ): void => {
    const cmd = tenant.command(name).description(description).argument('<name>', 'tenant name');
    if (grants) cmd.requiredOption('--library <name>', 'a library it may read (repeat for more)', collect);
    common(cmd).action(async (tenantName: string, flags: TenantFlags) => {
      await runCommand(flags, async (mode) => {
        const ctx = await context(flags);
        const libraries = flags.library ?? [];
        if (grants) checkGrants(ctx, libraries);
        await body(tenantName, ctx, mode, libraries);
        return 0;
      });
    });
  };

  sub('add', 'add a tenant; prints its generated password once', true, async (name, ctx, mode, libraries) => {
    const { tenant: t, password } = await addTenant(ctx.file, name, libraries);
    showSecret(mode, ctx, t, password, 'added');
  });
  sub(
    'rotate',
    'give a tenant a new password (printed once); the old one stops working',
    false,
    async (name, ctx, mode) => {
      const { tenant: t, password } = await rotateTenant(ctx.file, name);
      showSecret(mode, ctx, t, password, 'has a new password');
    },
  );
  sub(
    'update',
    'replace the libraries a tenant may read (its password stays)',
    true,
    async (name, ctx, mode, libraries) => {
      const t = await updateTenant(ctx.file, name, libraries);
      if (mode.json) printJson({ ok: true, ...tenantInfo(t) });
      else say(mode, `tenant ${t.name} may read: ${t.libraries.join(', ')}`);
    },
  );
  sub('remove', 'remove a tenant; its password stops working', false, async (name, ctx, mode) => {
    const t = await removeTenant(ctx.file, name);
    if (mode.json) printJson({ ok: true, removed: t.name });
    else say(mode, `tenant ${t.name} removed`);
  });

  common(tenant.command('list').description('list tenants and their libraries (never passwords)')).action(
    async (flags: TenantFlags) => {
      await runCommand(flags, async (mode) => {
        const ctx = await context(flags);
        const file = await readTenants(ctx.file);
        const tenants = file.tenants.map(tenantInfo);
        if (mode.json) {
          printJson({ ok: true, tenantsFile: ctx.file, tenants });
        } else if (tenants.length === 0) {
          say(mode, `no tenants in ${ctx.file}; add one with: claas tenant add <name> --library <library>`);
        } else {
          for (const t of tenants) {
            say(
              mode,
              `${t.name}  libraries: ${t.libraries.join(', ')}  created ${t.created}${t.rotated ? `, rotated ${t.rotated}` : ''}`,
            );
          }
        }
        return 0;
      });
    },
  );
}
