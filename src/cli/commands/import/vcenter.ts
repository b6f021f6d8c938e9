// `claas import vcenter --library <name> --to <location>`: publish a vCenter content library's items
// (streamed from download sessions) into a library location, incrementally.

import type { Command } from 'commander';
import { readVcenterSource } from '../../../sources/vcenter.js';
import type { CliIo } from '../../io.js';
import { collect } from '../../options.js';
import type { Deprecated, Verb } from '../../verb.js';
import {
  addVcenterLoginOptions,
  vcenterLoginFrom,
  vcenterLoginOf,
  withVcenter,
} from '../../vcenter-login.js';
import type { VcenterLogin, VcenterLoginFlags } from '../../vcenter-login.js';
import { addImportOptions, destinationOf, openDestination, runImport } from './shared.js';
import type { ImportDestination, ImportFlags } from './shared.js';

export interface ImportVcenterOptions {
  login: VcenterLogin;
  library: string;
  items?: string[];
  destination: ImportDestination;
}

interface VcenterImportFlags extends ImportFlags, VcenterLoginFlags {
  library: string;
  item?: string[];
}

export function define(cmd: Command): void {
  cmd
    .requiredOption('--library <name>', 'the vCenter library (name or id)')
    .option(
      '--item <name>',
      'import only this item (repeatable; the destination then holds just these)',
      collect,
    );
  addVcenterLoginOptions(cmd);
  addImportOptions(cmd);
}

export function parse(_args: [], flags: VcenterImportFlags, deprecated: Deprecated): ImportVcenterOptions {
  return {
    login: vcenterLoginOf('import vcenter', flags, deprecated),
    library: flags.library,
    ...(flags.item === undefined ? {} : { items: flags.item }),
    destination: destinationOf(flags),
  };
}

export async function run(o: ImportVcenterOptions, io: CliIo): Promise<number> {
  const login = await vcenterLoginFrom(o.login);
  const store = await openDestination(o.destination);
  return withVcenter(login, async (api) => {
    const remote = await readVcenterSource(api, {
      library: o.library,
      ...(o.items === undefined ? {} : { items: o.items }),
    });
    return runImport(io, o.destination, store, remote);
  });
}

export const verb: Verb<ImportVcenterOptions, VcenterImportFlags, []> = {
  name: 'vcenter',
  description: "import a vCenter content library's items (streamed from download sessions)",
  define,
  parse,
  run,
};
