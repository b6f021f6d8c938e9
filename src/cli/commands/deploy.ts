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
import type { DeployOptions, StorageProvisioning } from '../../vcenter/index.js';
import { collect } from '../options.js';
import { note, printJson } from '../output.js';
import { runCommand } from '../run.js';
import { addVcenterLoginOptions, onlyInventory, vcenterLoginFrom, withVcenter } from '../vcenter-login.js';
import type { VcenterLoginFlags } from '../vcenter-login.js';

interface DeployFlags extends VcenterLoginFlags {
  library: string;
  item: string;
  vmName: string;
  resourcePool?: string;
  datastore?: string;
  folder?: string;
  host?: string;
  network?: string[];
  customization?: string;
  provisioning?: string;
  annotation?: string;
  json?: boolean;
  quiet?: boolean;
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

export function registerDeploy(program: Command): void {
  const cmd = program
    .command('deploy')
    .description('deploy a VM from an OVF template in a vCenter content library; prints the VM id')
    .requiredOption('--library <name>', 'the library holding the template (name or id)')
    .requiredOption('--item <name>', 'the OVF template item')
    .requiredOption('--vm-name <name>', "the new VM's name")
    .option('--resource-pool <pool>', 'resource pool (name or id; default: the only one)')
    .option('--datastore <datastore>', 'datastore for the disks (name or id)')
    .option('--folder <folder>', 'VM folder (name or id)')
    .option('--host <id>', 'ESXi host (id)')
    .option('--network <ovf=vcenter>', 'map an OVF network to a vCenter network (repeatable)', collect)
    .option('--customization <spec>', 'apply this guest customization spec stored in vCenter')
    .option('--provisioning <kind>', 'disk provisioning: thin, thick or eagerZeroedThick')
    .option('--annotation <text>', "the VM's annotation");
  addVcenterLoginOptions(cmd);
  cmd
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'print nothing but errors');
  cmd.action(async (flags: DeployFlags) => {
    await runCommand(flags, async (mode) => {
      if (
        flags.provisioning !== undefined &&
        !PROVISIONING.includes(flags.provisioning as StorageProvisioning)
      ) {
        throw badInput(
          `--provisioning takes ${PROVISIONING.join(', ')}; got "${flags.provisioning}"`,
          '--provisioning',
        );
      }
      const mappings = parseNetworkMappings(flags.network ?? []);
      const login = await vcenterLoginFrom(flags);
      const outcome = await withVcenter(login, async (api) => {
        const library = await requireLibrary(api, flags.library);
        const item = await requireItem(api, library.id, flags.item);
        if (item.type !== undefined && item.type.toLowerCase() !== 'ovf') {
          throw badInput(
            `Item "${item.name}" of library "${library.name}" is of type ${item.type}, not an OVF template`,
            flags.item,
            'Deploy from an OVF template item.',
          );
        }
        const networkMappings: Record<string, string> = {};
        for (const m of mappings) networkMappings[m.from] = (await resolveNetwork(api, m.to)).id;
        const options: DeployOptions = {
          itemId: item.id,
          vmName: flags.vmName,
          resourcePoolId:
            flags.resourcePool === undefined
              ? await onlyInventory(api, 'resource-pool', {
                  flag: '--resource-pool',
                  question: 'Which resource pool should the VM go to?',
                  example: 'resgroup-9',
                })
              : (await resolveResourcePool(api, flags.resourcePool)).id,
          ...(flags.folder === undefined ? {} : { folderId: (await resolveFolder(api, flags.folder)).id }),
          ...(flags.host === undefined ? {} : { hostId: flags.host }),
          ...(flags.datastore === undefined
            ? {}
            : { datastoreId: (await resolveDatastore(api, flags.datastore)).id }),
          ...(mappings.length === 0 ? {} : { networkMappings }),
          ...(flags.provisioning === undefined
            ? {}
            : { storageProvisioning: flags.provisioning as StorageProvisioning }),
          ...(flags.annotation === undefined ? {} : { annotation: flags.annotation }),
          ...(flags.customization === undefined ? {} : { customizationSpec: flags.customization }),
        };
        const result = await deployVm(api, options);
        return { ...result, server: api.server, library: library.name, item: item.name };
      });
      if (mode.json) {
        printJson({ ok: true, vmName: flags.vmName, ...outcome });
        return 0;
      }
      for (const w of outcome.warnings) note(mode, `warning: ${w}`);
      note(
        mode,
        `deployed ${outcome.resourceType === 'VirtualMachine' ? 'VM' : outcome.resourceType} "${flags.vmName}" from ` +
          `"${outcome.item}" (library "${outcome.library}") on ${outcome.server}` +
          (outcome.customization === undefined ? '' : `, customized with "${outcome.customization}"`),
      );
      // The id alone on stdout for scripts (also with --quiet).
      process.stdout.write(`${outcome.vmId}\n`);
      return 0;
    });
  });
}
