// `claas tenant add <name> --library <library>`: a new tenant of the gateway with a generated password,
// printed once and stored only as a scrypt hash.

import type { Command } from 'commander';
import { addTenant } from '../../../gateway/multi/tenants.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';
import {
  NEW_PASSWORD_QUIET,
  addGatewayFlags,
  addLibraryFlag,
  checkGrants,
  gatewayRef,
  showSecret,
  withContext,
} from './shared.js';
import type { GatewayFlags, GatewayRef } from './shared.js';

export interface TenantAddOptions {
  gateway: GatewayRef;
  name: string;
  libraries: string[];
}

interface AddFlags extends GatewayFlags {
  library: string[];
}

export function define(cmd: Command): void {
  cmd.argument('<name>', 'tenant name');
  addLibraryFlag(cmd);
  addGatewayFlags(cmd);
}

export function parse([name]: [string], flags: AddFlags): TenantAddOptions {
  return { gateway: gatewayRef(flags), name, libraries: flags.library };
}

export async function run(o: TenantAddOptions, io: CliIo): Promise<number> {
  return withContext(o.gateway, async (ctx) => {
    checkGrants(ctx, o.libraries);
    const { tenant, password } = await addTenant(ctx.tenants, o.name, o.libraries);
    showSecret(io, ctx, tenant, password, 'added');
    return 0;
  });
}

export const verb: Verb<TenantAddOptions, AddFlags, [string]> = {
  name: 'add',
  description: 'add a tenant; prints its generated password once',
  define,
  parse,
  run,
  output: { quiet: NEW_PASSWORD_QUIET },
};
