// `claas tenant list`: the gateway's tenants and the libraries each may read (never passwords).

import type { Command } from 'commander';
import { tenantInfo } from '../../../gateway/multi/tenants.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';
import { addGatewayFlags, gatewayRef, withContext } from './shared.js';
import type { GatewayFlags, GatewayRef } from './shared.js';

export interface TenantListOptions {
  gateway: GatewayRef;
}

export function define(cmd: Command): void {
  addGatewayFlags(cmd);
}

export function parse(_args: [], flags: GatewayFlags): TenantListOptions {
  return { gateway: gatewayRef(flags) };
}

export async function run(o: TenantListOptions, io: CliIo): Promise<number> {
  return withContext(o.gateway, async (ctx) => {
    const tenants = (await ctx.tenants.read()).tenants.map(tenantInfo);
    if (io.json) io.printJson({ ok: true, tenantsFile: ctx.file, tenants });
    else if (tenants.length === 0) {
      io.say(`no tenants in ${ctx.file}; add one with: claas tenant add <name> --library <library>`);
    } else {
      for (const t of tenants) {
        io.say(
          `${t.name}  libraries: ${t.libraries.join(', ')}  created ${t.created}${t.rotated ? `, rotated ${t.rotated}` : ''}`,
        );
      }
    }
    return 0;
  });
}

export const verb: Verb<TenantListOptions, GatewayFlags, []> = {
  name: 'list',
  description: 'list tenants and their libraries (never passwords)',
  define,
  parse,
  run,
};
