// `claas tenant rotate <name>`: a new password for a tenant (printed once); the old one stops working.

import type { Command } from 'commander';
import { rotateTenant } from '../../../gateway/multi/tenants.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';
import { NEW_PASSWORD_QUIET, addGatewayFlags, gatewayRef, showSecret, withContext } from './shared.js';
import type { GatewayFlags, GatewayRef } from './shared.js';

export interface TenantRotateOptions {
  gateway: GatewayRef;
  name: string;
}

export function define(cmd: Command): void {
  cmd.argument('<name>', 'tenant name');
  addGatewayFlags(cmd);
}

export function parse([name]: [string], flags: GatewayFlags): TenantRotateOptions {
  return { gateway: gatewayRef(flags), name };
}

export async function run(o: TenantRotateOptions, io: CliIo): Promise<number> {
  return withContext(o.gateway, async (ctx) => {
    const { tenant, password } = await rotateTenant(ctx.tenants, o.name);
    showSecret(io, ctx, tenant, password, 'has a new password');
    return 0;
  });
}

export const verb: Verb<TenantRotateOptions, GatewayFlags, [string]> = {
  name: 'rotate',
  description: 'give a tenant a new password (printed once); the old one stops working',
  define,
  parse,
  run,
  output: { quiet: NEW_PASSWORD_QUIET },
};
