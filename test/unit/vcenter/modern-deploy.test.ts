// The /api flavour's OVF deploy (POST /api/vcenter/ovf/library-item/{id}?action=deploy with
// {target, deployment_spec}; maps as JSON objects), guest customization (GET
// /api/vcenter/guest/customization-specs/{name}, PUT /api/vcenter/vm/{vm}/guest/customization {name}),
// and the inventory lists used to resolve names (GET /api/vcenter/{datastore,resource-pool,folder,network}
// with names= and the id filters).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClaasError } from '../../../src/errors.js';
import {
  deployVm,
  resolveDatastore,
  resolveFolder,
  resolveNetwork,
  resolveResourcePool,
} from '../../../src/vcenter/index.js';
import { hasOpenssl } from '../gateway/openssl.js';
import { withModernApi } from './fake-vcenter.js';

const skip = hasOpenssl() ? false : 'openssl is not installed (the fake vCenter needs a certificate)';
const OVF = '/api/vcenter/ovf/library-item';

const deployBody = {
  target: { resource_pool_id: 'resgroup-9', folder_id: 'group-v4' },
  deployment_spec: {
    name: 'web-01',
    accept_all_EULA: true,
    default_datastore_id: 'datastore-12',
    network_mappings: { 'VM Network': 'network-13' },
    storage_provisioning: 'thin',
  },
};

const deployCall = { method: 'POST', path: `${OVF}/item-1`, query: { action: 'deploy' }, body: deployBody };

const options = {
  itemId: 'item-1',
  vmName: 'web-01',
  resourcePoolId: 'resgroup-9',
  folderId: 'group-v4',
  datastoreId: 'datastore-12',
  networkMappings: { 'VM Network': 'network-13' },
  storageProvisioning: 'thin' as const,
};

test('/api: deploy an OVF item, then apply a stored customization spec', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    fake.expect(
      {
        method: 'GET',
        path: '/api/vcenter/guest/customization-specs/linux%20dhcp',
        reply: {
          json: {
            name: 'linux dhcp',
            description: 'DHCP, client keys',
            spec: { configuration_spec: {} },
            last_modified: '2026-11-01T00:00:00Z',
          },
        },
      },
      {
        ...deployCall,
        reply: {
          json: {
            succeeded: true,
            resource_id: { type: 'VirtualMachine', id: 'vm-42' },
            error: {
              errors: [],
              warnings: [{ category: 'VALIDATION', message: { default_message: 'Unknown section skipped' } }],
              information: [],
            },
          },
        },
      },
      { method: 'PUT', path: '/api/vcenter/vm/vm-42/guest/customization', body: { name: 'linux dhcp' } },
    );
    const outcome = await deployVm(api, { ...options, customizationSpec: 'linux dhcp' });
    assert.deepEqual(outcome, {
      vmId: 'vm-42',
      resourceType: 'VirtualMachine',
      warnings: ['Unknown section skipped'],
      customization: 'linux dhcp',
    });
  });
});

test(
  "/api: a failed deploy reports vCenter's errors; an unknown spec stops before deploying",
  { skip },
  async () => {
    await withModernApi(async (api, fake) => {
      fake.expect(
        {
          ...deployCall,
          reply: {
            json: {
              succeeded: false,
              error: {
                errors: [
                  {
                    category: 'INPUT',
                    error: {
                      '@class': 'com.vmware.vapi.std.errors.invalid_argument',
                      messages: [{ default_message: 'Network mapping is invalid' }],
                    },
                  },
                ],
                warnings: [],
                information: [],
              },
            },
          },
        },
        {
          method: 'GET',
          path: '/api/vcenter/guest/customization-specs/nope',
          reply: {
            status: 404,
            json: { error_type: 'NOT_FOUND', messages: [{ default_message: 'not found' }] },
          },
        },
      );
      await assert.rejects(deployVm(api, options), (e: unknown) => {
        assert.ok(isClaasError(e, 'BAD_INPUT'));
        assert.match((e as Error).message, /could not deploy 'web-01': Network mapping is invalid/);
        return true;
      });
      await assert.rejects(deployVm(api, { ...options, customizationSpec: 'nope' }), (e: unknown) => {
        assert.ok(isClaasError(e, 'NOT_FOUND'));
        assert.match((e as Error).message, /no guest customization spec 'nope'/);
        return true;
      });
    });
  },
);

test('/api: inventory names and ids resolve through the list calls and their filters', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    const ds = { datastore: 'datastore-12', name: 'vsanDatastore', type: 'VSAN', free_space: 1, capacity: 2 };
    fake.expect(
      {
        method: 'GET',
        path: '/api/vcenter/datastore',
        query: { datastores: 'datastore-12' },
        reply: { json: [ds] },
      },
      {
        method: 'GET',
        path: '/api/vcenter/datastore',
        query: { names: 'vsanDatastore' },
        reply: { json: [ds] },
      },
      {
        method: 'GET',
        path: '/api/vcenter/resource-pool',
        query: { names: 'Resources' },
        reply: {
          json: [
            { resource_pool: 'resgroup-9', name: 'Resources' },
            { resource_pool: 'resgroup-21', name: 'Resources' },
          ],
        },
      },
      {
        method: 'GET',
        path: '/api/vcenter/folder',
        query: { folders: 'group-v4', type: 'VIRTUAL_MACHINE' },
        reply: { json: [{ folder: 'group-v4', name: 'vm', type: 'VIRTUAL_MACHINE' }] },
      },
      { method: 'GET', path: '/api/vcenter/network', query: { names: 'prod' }, reply: { json: [] } },
      {
        method: 'GET',
        path: '/api/vcenter/network',
        reply: { json: [{ network: 'network-13', name: 'VM Network', type: 'STANDARD_PORTGROUP' }] },
      },
      // An id-like name that is not an id: looked up as an id first, then as a name.
      { method: 'GET', path: '/api/vcenter/datastore', query: { datastores: 'nfs-01' }, reply: { json: [] } },
      {
        method: 'GET',
        path: '/api/vcenter/datastore',
        query: { names: 'nfs-01' },
        reply: { json: [{ ...ds, datastore: 'datastore-30', name: 'nfs-01' }] },
      },
    );
    assert.deepEqual(await resolveDatastore(api, 'datastore-12'), {
      id: 'datastore-12',
      name: 'vsanDatastore',
      type: 'VSAN',
      verified: true,
    });
    assert.equal((await resolveDatastore(api, 'vsanDatastore')).id, 'datastore-12');
    await assert.rejects(resolveResourcePool(api, 'Resources'), (e: unknown) => {
      assert.ok(isClaasError(e, 'BAD_INPUT'));
      assert.match((e as { hint?: string }).hint ?? '', /resgroup-9, resgroup-21/);
      return true;
    });
    assert.deepEqual(await resolveFolder(api, 'group-v4'), {
      id: 'group-v4',
      name: 'vm',
      type: 'VIRTUAL_MACHINE',
      verified: true,
    });
    await assert.rejects(resolveNetwork(api, 'prod'), (e: unknown) => {
      assert.ok(isClaasError(e, 'NOT_FOUND'));
      assert.match((e as { hint?: string }).hint ?? '', /VM Network \(network-13\)/);
      return true;
    });
    assert.equal((await resolveDatastore(api, 'nfs-01')).id, 'datastore-30');
  });
});
