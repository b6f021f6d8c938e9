// `claas tenant remove <name>`: remove a tenant; its password stops working.

import type { Command } from 'commander';
import { removeTenant } from '../../../gateway/multi/tenants.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';
import { addGatewayFlags, context, gatewayRef } from './shared.js';
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
  const ctx = await context(o.gateway);
  const t = await removeTenant(ctx.file, o.name);
  if (io.json) io.printJson({ ok: true, removed: t.name });
  else io.say(`tenant ${t.name} removed`);
  return 0;
}

export const verb: Verb<TenantRemoveOptions, GatewayFlags, [string]> = {
  name: 'remove',
  description: 'remove a tenant; its password stops working',
  define,
  parse,
  run,
};
