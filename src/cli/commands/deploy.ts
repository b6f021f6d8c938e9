// `claas deploy`: a VM from an OVF template item of a vCenter library (a subscribed library fed by claas,
// typically), optionally customized with a guest customization spec stored in vCenter.

import type { Command } from 'commander';
import { badInput } from '../../errors.js';
import {
  deployVm,
  requireItem,
  requireLibrary,
  resolveDatastore,
  resolveFolder,
  resolveNetwork,
  resolveResourcePool,
} from '../../vcenter/index.js';
import type { DeployOptions, StorageProvisioning, VcenterApi } from '../../vcenter/index.js';
import { defaulted, oldSpelling, renamed } from '../flags.js';
import type { CliIo } from '../io.js';
import { collect } from '../options.js';
import type { Deprecated, Verb } from '../verb.js';
import {
  addVcenterLoginOptions,
  onlyInventory,
  vcenterLoginFrom,
  vcenterLoginOf,
  withVcenter,
} from '../vcenter-login.js';
import type { VcenterLogin, VcenterLoginFlags } from '../vcenter-login.js';

export interface DeployCommandOptions {
  login: VcenterLogin;
  library: string;
  item: string;
  vmName: string;
  resourcePool?: string;
  datastore?: string;
  folder?: string;
  esxiHost?: string;
  networks: Array<{ from: string; to: string }>;
  customization?: string;
  provisioning?: StorageProvisioning;
  annotation?: string;
}

type Named = 'library' | 'item' | 'vmName' | 'resourcePool' | 'datastore' | 'folder' | 'esxiHost';

interface DeployFlags
  extends VcenterLoginFlags, Pick<DeployCommandOptions, Named | 'customization' | 'annotation'> {
  /** Old spelling of --esxi-host. */
  host?: string;
  network?: string[];
  provisioning?: string;
}

const PROVISIONING: readonly StorageProvisioning[] = ['thin', 'thick', 'eagerZeroedThick'];

/** "VM Network=network-13" pairs: OVF network name -> vCenter network (name or id). */
export function parseNetworkMappings(pairs: readonly string[]): Array<{ from: string; to: string }> {
  return pairs.map((pair) => {
    const at = pair.lastIndexOf('=');
    if (at <= 0 || at === pair.length - 1) {
      throw badInput(
        `--network takes <OVF network>=<vCenter network>; got "${pair}"`,
        '--network',
        'For example --network "VM Network=dvportgroup-20" (the vCenter side may be a name or an id).',
      );
    }
    return { from: pair.slice(0, at), to: pair.slice(at + 1) };
  });
}

export function define(cmd: Command): void {
  cmd
    .requiredOption('--library <name>', 'the library holding the template (name or id)')
    .requiredOption('--item <name>', 'the OVF template item')
    .requiredOption('--vm-name <name>', "the new VM's name")
    .addOption(defaulted('--resource-pool <pool>', 'resource pool (name or id)', 'the only one'))
    .option('--datastore <datastore>', 'datastore for the disks (name or id)')
    .option('--folder <folder>', 'VM folder (name or id)')
    .option('--esxi-host <id>', 'the ESXi host to run the VM on (id)')
    .addOption(oldSpelling('--host <id>'))
    .option('--network <ovf=vcenter>', 'map an OVF network to a vCenter network (repeatable)', collect)
    .option('--customization <spec>', 'apply this guest customization spec stored in vCenter')
    .option('--provisioning <kind>', 'disk provisioning: thin, thick or eagerZeroedThick')
    .option('--annotation <text>', "the VM's annotation");
  addVcenterLoginOptions(cmd);
}

export function parse(_args: [], flags: DeployFlags, deprecated: Deprecated): DeployCommandOptions {
  if (flags.provisioning !== undefined && !PROVISIONING.includes(flags.provisioning as StorageProvisioning)) {
    throw badInput(
      `--provisioning takes ${PROVISIONING.join(', ')}; got "${flags.provisioning}"`,
      '--provisioning',
    );
  }
  const esxiHost = renamed(
    'deploy',
    { flag: '--esxi-host', value: flags.esxiHost },
    { flag: '--host', value: flags.host },
    deprecated,
  );
  return {
    login: vcenterLoginOf('deploy', flags, deprecated),
    library: flags.library,
    item: flags.item,
    vmName: flags.vmName,
    networks: parseNetworkMappings(flags.network ?? []),
    ...(flags.resourcePool === undefined ? {} : { resourcePool: flags.resourcePool }),
    ...(flags.datastore === undefined ? {} : { datastore: flags.datastore }),
    ...(flags.folder === undefined ? {} : { folder: flags.folder }),
    ...(esxiHost === undefined ? {} : { esxiHost }),
    ...(flags.customization === undefined ? {} : { customization: flags.customization }),
    ...(flags.provisioning === undefined ? {} : { provisioning: flags.provisioning as StorageProvisioning }),
    ...(flags.annotation === undefined ? {} : { annotation: flags.annotation }),
  };
}

async function deployOptions(
  api: VcenterApi,
  o: DeployCommandOptions,
  itemId: string,
): Promise<DeployOptions> {
  const networkMappings: Record<string, string> = {};
  for (const m of o.networks) networkMappings[m.from] = (await resolveNetwork(api, m.to)).id;
  return {
    itemId,
    vmName: o.vmName,
    resourcePoolId:
      o.resourcePool === undefined
        ? await onlyInventory(api, 'resource-pool', {
            flag: '--resource-pool',
            question: 'Which resource pool should the VM go to?',
            example: 'resgroup-9',
          })
        : (await resolveResourcePool(api, o.resourcePool)).id,
    ...(o.folder === undefined ? {} : { folderId: (await resolveFolder(api, o.folder)).id }),
    ...(o.esxiHost === undefined ? {} : { hostId: o.esxiHost }),
    ...(o.datastore === undefined ? {} : { datastoreId: (await resolveDatastore(api, o.datastore)).id }),
    ...(o.networks.length === 0 ? {} : { networkMappings }),
    ...(o.provisioning === undefined ? {} : { storageProvisioning: o.provisioning }),
    ...(o.annotation === undefined ? {} : { annotation: o.annotation }),
    ...(o.customization === undefined ? {} : { customizationSpec: o.customization }),
  };
}

export async function run(o: DeployCommandOptions, io: CliIo): Promise<number> {
  const login = await vcenterLoginFrom(o.login);
  const outcome = await withVcenter(login, async (api) => {
    const library = await requireLibrary(api, o.library);
    const item = await requireItem(api, library.id, o.item);
    if (item.type !== undefined && item.type.toLowerCase() !== 'ovf') {
      throw badInput(
        `Item "${item.name}" of library "${library.name}" is of type ${item.type}, not an OVF template`,
        o.item,
        'Deploy from an OVF template item.',
      );
    }
    const result = await deployVm(api, await deployOptions(api, o, item.id));
    return { ...result, server: api.server, library: library.name, item: item.name };
  });
  if (io.json) {
    io.printJson({ ok: true, vmName: o.vmName, ...outcome });
    return 0;
  }
  for (const w of outcome.warnings) io.note(`warning: ${w}`);
  io.note(
    `deployed ${outcome.resourceType === 'VirtualMachine' ? 'VM' : outcome.resourceType} "${o.vmName}" from ` +
      `"${outcome.item}" (library "${outcome.library}") on ${outcome.server}` +
      (outcome.customization === undefined ? '' : `, customized with "${outcome.customization}"`),
  );
  // The id alone on stdout for scripts (also with --quiet).
  io.out(`${outcome.vmId}\n`);
  return 0;
}

export const verb: Verb<DeployCommandOptions, DeployFlags, []> = {
  name: 'deploy',
  description: 'deploy a VM from an OVF template in a vCenter content library; prints the VM id',
  define,
  parse,
  run,
  output: { quiet: 'print nothing but errors and the VM id' },
};
