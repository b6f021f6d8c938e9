// Against vcsim: an OVF template (descriptor, streamOptimized disk, manifest) uploaded into a library item
// deploys as a VM; a failed deploy and a customization spec on a legacy-only vCenter give clear errors
// (the latter before anything is deployed); inventory lookups on a server without the inventory API.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isClaasError } from '../../../src/errors.js';
import type { ClaasError } from '../../../src/errors.js';
import { ovfDescriptor, ovfManifest } from '../../../src/demo/ovf.js';
import { writeStreamOptimizedVmdk } from '../../../src/demo/vmdk.js';
import {
  connectVcenter,
  createLocalLibrary,
  deleteLibrary,
  deployVm,
  ensureItem,
  resolveDatastore,
  resolveNetwork,
  uploadItemFiles,
} from '../../../src/vcenter/index.js';
import type { UploadSource, VcenterApi } from '../../../src/vcenter/index.js';
import { firstRef, uniqueName, vcsimConnectOptions, vcsimSkip } from '../../helpers/vcsim.js';

const skip = vcsimSkip();

/** A small but valid OVF template: descriptor, streamOptimized disk (1 MiB capacity), manifest. */
async function tinyTemplate(name: string): Promise<UploadSource[]> {
  const dir = await mkdtemp(join(tmpdir(), 'claas-vcsim-ovf-'));
  try {
    const diskName = `${name}-disk1.vmdk`;
    await writeStreamOptimizedVmdk(join(dir, diskName), {
      capacityBytes: 1024 * 1024,
      data: Buffer.from('claas'),
    });
    const disk = await readFile(join(dir, diskName));
    const ovf = Buffer.from(
      ovfDescriptor({ name, diskFile: diskName, diskFileSize: disk.length, capacityBytes: 1024 * 1024 }),
    );
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const mf = Buffer.from(
      ovfManifest([
        { name: `${name}.ovf`, sha256: sha(ovf) },
        { name: diskName, sha256: sha(disk) },
      ]),
    );
    return [
      { name: `${name}.ovf`, data: ovf },
      { name: diskName, data: disk },
      { name: `${name}.mf`, data: mf },
    ].map((f) => ({ name: f.name, size: f.data.length, sha256: sha(f.data), open: () => f.data }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function withLibrary(fn: (api: VcenterApi, libraryId: string) => Promise<void>): Promise<void> {
  const api = await connectVcenter(vcsimConnectOptions());
  try {
    const library = await createLocalLibrary(api, {
      name: uniqueName('claas-deploy'),
      datastoreId: firstRef('datastores').id,
    });
    try {
      await fn(api, library.id);
    } finally {
      await deleteLibrary(api, library.id);
    }
  } finally {
    await api.logout();
  }
}

test('an uploaded OVF template deploys as a VM', { skip }, async () => {
  await withLibrary(async (api, libraryId) => {
    const { item } = await ensureItem(api, { libraryId, name: 'tiny', type: 'ovf' });
    await uploadItemFiles(api, item.id, await tinyTemplate('tiny'), { intervalMs: 50 });
    const network = firstRef('networks');
    const vmName = uniqueName('claas-vm');
    const outcome = await deployVm(api, {
      itemId: item.id,
      vmName,
      resourcePoolId: firstRef('resourcePools').id,
      folderId: firstRef('folders').id,
      datastoreId: firstRef('datastores').id,
      networkMappings: { 'VM Network': network.id },
      storageProvisioning: 'thin',
    });
    assert.equal(outcome.resourceType, 'VirtualMachine');
    assert.match(outcome.vmId, /^vm-\d+$/);
    assert.equal(outcome.customization, undefined);
  });
});

test('a deploy vCenter cannot do fails with its reason', { skip }, async () => {
  await withLibrary(async (api, libraryId) => {
    const { item } = await ensureItem(api, { libraryId, name: 'empty', type: 'ovf' });
    await assert.rejects(
      deployVm(api, {
        itemId: item.id,
        vmName: uniqueName('claas-vm'),
        resourcePoolId: firstRef('resourcePools').id,
      }),
      (e: unknown) => {
        assert.ok(e instanceof Error && 'code' in e, String(e));
        assert.match((e as ClaasError).message, /could not deploy/);
        return true;
      },
    );
    await assert.rejects(
      deployVm(api, {
        itemId: item.id,
        vmName: 'x'.repeat(81),
        resourcePoolId: firstRef('resourcePools').id,
      }),
      (e: unknown) => isClaasError(e, 'BAD_INPUT'),
    );
  });
});

test(
  'guest customization on a legacy-only vCenter is refused before anything is deployed',
  { skip },
  async () => {
    const api = await connectVcenter(vcsimConnectOptions());
    try {
      // A bogus item: had claas tried to deploy first, the error would be about the item instead.
      await assert.rejects(
        deployVm(api, {
          itemId: 'no-such-item',
          vmName: 'vm',
          resourcePoolId: firstRef('resourcePools').id,
          customizationSpec: 'linux-dhcp',
        }),
        (e: unknown) => {
          assert.ok(isClaasError(e, 'PROTOCOL'), String(e));
          assert.match((e as ClaasError).hint ?? '', /7\.0 U2/);
          return true;
        },
      );
    } finally {
      await api.logout();
    }
  },
);

test(
  'inventory on a vCenter without the inventory API: ids pass unverified, names are explained',
  { skip },
  async () => {
    const api = await connectVcenter(vcsimConnectOptions());
    try {
      const ds = firstRef('datastores');
      assert.deepEqual(await resolveDatastore(api, ds.id), { id: ds.id, name: ds.id, verified: false });
      await assert.rejects(resolveNetwork(api, 'VM Network'), (e: unknown) => {
        assert.ok(isClaasError(e, 'PROTOCOL'), String(e));
        assert.match((e as ClaasError).hint ?? '', /managed object id/);
        return true;
      });
    } finally {
      await api.logout();
    }
  },
);
