// The legacy /rest mapping of the calls vcsim does not implement (inventory lists, customization specs)
// or that the vcsim tests do not reach (file listings, fail/delete of sessions), checked as data against
// the 6.5-7.0 REST reference: `filter.*` queries, `id:` prefixes, `~action=`, named body fields.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { legacyRoutes as r } from '../../../src/vcenter/routes-legacy.js';

const CL = '/rest/com/vmware/content/library/item';

test('legacy inventory lists filter with filter.names and filter.<kind>s', () => {
  assert.deepEqual(r.listInventory('datastore', { names: ['a', 'b'] }), {
    method: 'GET',
    path: '/rest/vcenter/datastore',
    query: { 'filter.names': ['a', 'b'], 'filter.datastores': undefined },
  });
  assert.deepEqual(r.listInventory('resource-pool', { ids: ['resgroup-9'] }).query, {
    'filter.names': undefined,
    'filter.resource_pools': ['resgroup-9'],
  });
  assert.deepEqual(r.listInventory('folder', { names: ['vm'] }), {
    method: 'GET',
    path: '/rest/vcenter/folder',
    query: { 'filter.names': ['vm'], 'filter.folders': undefined, 'filter.type': 'VIRTUAL_MACHINE' },
  });
  assert.equal(r.listInventory('network', {}).path, '/rest/vcenter/network');
});

test('legacy session files, fail and delete', () => {
  assert.deepEqual(r.listUpdateFiles('us-1'), {
    method: 'GET',
    path: `${CL}/updatesession/file`,
    query: { update_session_id: 'us-1' },
  });
  assert.deepEqual(r.getUpdateFile('us-1', 'a.ovf'), {
    method: 'POST',
    path: `${CL}/updatesession/file/id:us-1`,
    query: { '~action': 'get' },
    body: { file_name: 'a.ovf' },
  });
  assert.deepEqual(r.endUpdateSession('us-1', 'fail', 'why'), {
    method: 'POST',
    path: `${CL}/update-session/id:us-1`,
    query: { '~action': 'fail' },
    body: { client_error_message: 'why' },
  });
  assert.deepEqual(r.deleteUpdateSession('us-1'), { method: 'DELETE', path: `${CL}/update-session/id:us-1` });
  assert.deepEqual(r.listDownloadFiles('ds-1'), {
    method: 'GET',
    path: `${CL}/downloadsession/file`,
    query: { download_session_id: 'ds-1' },
  });
  assert.deepEqual(r.deleteDownloadSession('ds-1'), {
    method: 'DELETE',
    path: `${CL}/download-session/id:ds-1`,
  });
});

test('legacy customization: specs under /rest/vcenter, no apply; answers unwrap "value"', () => {
  assert.deepEqual(r.getCustomizationSpec('linux dhcp'), {
    method: 'GET',
    path: '/rest/vcenter/guest/customization-specs/linux%20dhcp',
  });
  assert.equal(r.applyCustomization('vm-1', 'linux'), undefined);
  assert.deepEqual(r.payload({ value: ['a'] }), ['a']);
  assert.equal(r.payload(undefined), undefined);
  assert.equal(r.payload(['not wrapped']), undefined);
});
