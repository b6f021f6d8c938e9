// `claas tenant update <name> --library <library>`: replace the libraries a tenant may read; its password stays.

import type { Command } from 'commander';
import { tenantInfo, updateTenant } from '../../../gateway/multi/tenants.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';
import { addGatewayFlags, addLibraryFlag, checkGrants, gatewayRef, withContext } from './shared.js';
import type { GatewayFlags, GatewayRef } from './shared.js';

export interface TenantUpdateOptions {
  gateway: GatewayRef;
  name: string;
  libraries: string[];
}

interface UpdateFlags extends GatewayFlags {
  library: string[];
}

export function define(cmd: Command): void {
  cmd.argument('<name>', 'tenant name');
  addLibraryFlag(cmd);
  addGatewayFlags(cmd);
}

export function parse([name]: [string], flags: UpdateFlags): TenantUpdateOptions {
  return { gateway: gatewayRef(flags), name, libraries: flags.library };
}

export async function run(o: TenantUpdateOptions, io: CliIo): Promise<number> {
  return withContext(o.gateway, async (ctx) => {
    checkGrants(ctx, o.libraries);
    const t = await updateTenant(ctx.tenants, o.name, o.libraries);
    if (io.json) io.printJson({ ok: true, ...tenantInfo(t) });
    else io.say(`tenant ${t.name} may read: ${t.libraries.join(', ')}`);
    return 0;
  });
}

export const verb: Verb<TenantUpdateOptions, UpdateFlags, [string]> = {
  name: 'update',
  description: 'replace the libraries a tenant may read (its password stays)',
  define,
  parse,
  run,
};
