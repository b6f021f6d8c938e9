// claas deploy: a VM from an OVF template item (the OVF deploy call), then, optionally, a stored guest
// customization spec applied to it (hostnames, keys and passwords differ per client). The spec is looked
// up before deploying, so a wrong name or a vCenter that cannot customize fails before a VM exists.

import { ClaasError, badInput } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { VcenterApi } from './api.js';
import { customizationUnsupported } from './rest-api.js';
import type { StorageProvisioning } from './types.js';

export interface DeployOptions {
  /** The OVF template library item. */
  itemId: string;
  vmName: string;
  resourcePoolId: string;
  folderId?: string;
  hostId?: string;
  datastoreId?: string;
  /** OVF network name -> vCenter network id. */
  networkMappings?: Record<string, string>;
  storageProvisioning?: StorageProvisioning;
  annotation?: string;
  /** Accept the template's EULAs (default true: an unattended deploy cannot click through them). */
  acceptAllEula?: boolean;
  /** Name of a guest customization spec stored in vCenter. */
  customizationSpec?: string;
}

export interface DeployOutcome {
  vmId: string;
  /** VirtualMachine, or VirtualApp for a template holding a VirtualSystemCollection. */
  resourceType: string;
  warnings: string[];
  /** The customization spec applied, if any. */
  customization?: string;
}

/** vCenter's limit on VM (and library) names. */
const MAX_NAME = 80;

const CATEGORY_CODES: Record<string, ErrorCode> = {
  INPUT: 'BAD_INPUT',
  VALIDATION: 'BAD_INPUT',
  SERVER: 'INTERNAL',
};

export async function deployVm(api: VcenterApi, o: DeployOptions): Promise<DeployOutcome> {
  if (o.vmName.trim() === '' || o.vmName.length > MAX_NAME) {
    throw badInput(`A VM name must have 1 to ${MAX_NAME} characters`, o.vmName, 'Give another --vm-name.');
  }
  if (o.customizationSpec !== undefined) {
    if (api.flavour !== 'api') throw customizationUnsupported(api.server, o.customizationSpec);
    await api.getCustomizationSpec(o.customizationSpec).catch((e: unknown) => {
      if (e instanceof ClaasError && e.code === 'NOT_FOUND') {
        throw new ClaasError(
          'NOT_FOUND',
          `vCenter ${api.server} has no guest customization spec '${o.customizationSpec}'`,
          {
            input: o.customizationSpec,
            hint: 'Check the name under Policies and Profiles > VM Customization Specifications in the vSphere Client.',
          },
        );
      }
      throw e;
    });
  }
  const result = await api.deployOvf(
    o.itemId,
    {
      resourcePoolId: o.resourcePoolId,
      ...(o.folderId === undefined ? {} : { folderId: o.folderId }),
      ...(o.hostId === undefined ? {} : { hostId: o.hostId }),
    },
    {
      name: o.vmName,
      acceptAllEula: o.acceptAllEula ?? true,
      ...(o.annotation === undefined ? {} : { annotation: o.annotation }),
      ...(o.datastoreId === undefined ? {} : { defaultDatastoreId: o.datastoreId }),
      ...(o.networkMappings === undefined ? {} : { networkMappings: o.networkMappings }),
      ...(o.storageProvisioning === undefined ? {} : { storageProvisioning: o.storageProvisioning }),
    },
  );
  if (!result.succeeded || result.resource === undefined) {
    const why = result.errors.length > 0 ? result.errors.join('; ') : 'no reason given';
    throw new ClaasError(
      CATEGORY_CODES[result.errorCategory ?? ''] ?? 'INTERNAL',
      `vCenter ${api.server} could not deploy '${o.vmName}': ${why}`,
      {
        input: o.vmName,
        hint: 'Check the target (resource pool, folder, datastore), the network mappings and the template.',
      },
    );
  }
  const outcome: DeployOutcome = {
    vmId: result.resource.id,
    resourceType: result.resource.type,
    warnings: result.warnings,
  };
  if (o.customizationSpec !== undefined) {
    if (result.resource.type !== 'VirtualMachine') {
      throw badInput(
        `Guest customization applies to a VM, but '${o.vmName}' was deployed as a ${result.resource.type} (${outcome.vmId})`,
        o.customizationSpec,
        'Customize the VMs inside the vApp in the vSphere Client.',
      );
    }
    await api.applyCustomization(outcome.vmId, o.customizationSpec);
    outcome.customization = o.customizationSpec;
  }
  return outcome;
}
