// `claas tenant remove <name>`: remove a tenant; its password stops working.

import type { Command } from 'commander';
import { removeTenant } from '../../../gateway/multi/tenants.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';
import { addGatewayFlags, gatewayRef, withContext } from './shared.js';
import type { GatewayFlags, GatewayRef } from './shared.js';

export interface TenantRemoveOptions {
  gateway: GatewayRef;
  name: string;
}

export function define(cmd: Command): void {
  cmd.argument('<name>', 'tenant name');
  addGatewayFlags(cmd);
}

export function parse([name]: [string], flags: GatewayFlags): TenantRemoveOptions {
  return { gateway: gatewayRef(flags), name };
}

export async function run(o: TenantRemoveOptions, io: CliIo): Promise<number> {
  return withContext(o.gateway, async (ctx) => {
    const t = await removeTenant(ctx.tenants, o.name);
    if (io.json) io.printJson({ ok: true, removed: t.name });
    else io.say(`tenant ${t.name} removed`);
    return 0;
  });
}

export const verb: Verb<TenantRemoveOptions, GatewayFlags, [string]> = {
  name: 'remove',
  description: 'remove a tenant; its password stops working',
  define,
  parse,
  run,
};
