// `claas tenant import <tenants.json> --config claas.yaml [--replace]`: moves a gateway's local tenants file
// into the control prefix of the origin bucket (gateway.tenants: store), with the origin's credentials.
// Passwords keep working (the scrypt hashes move as they are); the file is left in place for the operator
// to delete. Refused when the store already has tenants, unless --replace. Prints names, never hashes.

import type { Command } from 'commander';
import { ClaasError } from '../../../errors.js';
import { TENANTS_IN_STORE } from '../../../config/schema.js';
import { readTenants } from '../../../gateway/multi/tenants.js';
import { importTenants } from '../../../gateway/multi/tenants-store.js';
import { CONTROL_TENANTS_KEY } from '../../../config/control-layout.js';
import type { CliIo } from '../../io.js';
import { collect } from '../../options.js';
import { printable } from '../../printable.js';
import type { Verb } from '../../verb.js';
import { loadConfigs, openOriginControl } from './shared.js';

export interface TenantImportOptions {
  file: string;
  configs: string[];
  replace: boolean;
}

interface ImportFlags {
  config?: string[];
  replace?: boolean;
}

export function define(cmd: Command): void {
  cmd.argument('<tenants.json>', 'the tenants file to move into the store');
  cmd.option('--config <file>', 'claas.yaml with gateway.tenants: store (repeat for every library)', collect);
  cmd.option('--replace', 'replace the tenants the store already has (their passwords stop working)');
}

export function parse([file]: [string], flags: ImportFlags): TenantImportOptions {
  const configs = flags.config ?? [];
  if (configs.length === 0) {
    throw new ClaasError('BAD_INPUT', 'say which gateway: give --config claas.yaml', {
      input: '--config',
      hint: 'the configuration with gateway.tenants: store names the origin bucket the tenants go to',
    });
  }
  return { file, configs, replace: flags.replace === true };
}

export async function run(o: TenantImportOptions, io: CliIo): Promise<number> {
  const configs = await loadConfigs(o.configs);
  const gateway = configs.find((c) => c.gateway !== undefined)?.gateway;
  if (gateway?.tenants !== TENANTS_IN_STORE) {
    throw new ClaasError('BAD_INPUT', 'the configuration keeps its tenants in a file, not in the store', {
      input: o.configs[0]!,
      hint: 'set gateway.tenants: store in claas.yaml, then import',
    });
  }
  const file = await readTenants(o.file);
  if (file.tenants.length === 0) {
    throw new ClaasError('NOT_FOUND', 'the tenants file has no tenants', {
      input: o.file,
      hint: 'give the gateway.tenants file the gateway used so far',
    });
  }
  const store = await openOriginControl(configs);
  try {
    const r = await importTenants(store, file, { replace: o.replace });
    const where = `${store.display}/${CONTROL_TENANTS_KEY}`;
    const names = file.tenants.map((t) => t.name);
    if (io.json)
      io.printJson({ ok: true, imported: r.imported, replaced: r.replaced, tenants: names, to: where });
    else {
      io.say(
        printable(
          `imported ${r.imported} tenant(s) into ${where}${r.replaced > 0 ? ` (replaced ${r.replaced})` : ''}: ${names.join(', ')}`,
        ),
      );
      io.say(
        `their passwords keep working; gateways pick them up within --tenants-refresh. Delete ${o.file} when done.`,
      );
    }
    return 0;
  } finally {
    store.close();
  }
}

export const verb: Verb<TenantImportOptions, ImportFlags, [string]> = {
  name: 'import',
  description:
    'move a tenants file into the store (gateway.tenants: store); refuses when the store has tenants unless --replace',
  define,
  parse,
  run,
};
