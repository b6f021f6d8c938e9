// The /api flavour's item calls: GET /api/content/library/item?library_id=, GET/PATCH/DELETE
// /api/content/library/item/{id}, POST ?action=find with the FindSpec as the body, POST with the
// ItemModel as the body, GET /api/content/library/item/{id}/file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureItem, findItemByName, listLibraryItems, requireItem } from '../../../src/vcenter/index.js';
import { isClaasError } from '../../../src/errors.js';
import { hasOpenssl } from '../gateway/openssl.js';
import { withModernApi } from './fake-vcenter.js';

const skip = hasOpenssl() ? false : 'openssl is not installed (the fake vCenter needs a certificate)';

const itemModel = {
  id: 'item-1',
  library_id: 'lib-1',
  name: 'photon',
  description: 'Photon OS',
  type: 'ovf',
  size: 734013000,
  cached: true,
  content_version: '3',
  metadata_version: '2',
  version: '2',
  creation_time: '2026-11-24T19:05:00.000Z',
  last_modified_time: '2026-11-24T19:06:00.000Z',
};

test('/api: list items with details, find by name, get, files', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    fake.expect(
      {
        method: 'GET',
        path: '/api/content/library/item',
        query: { library_id: 'lib-1' },
        reply: { json: ['item-1'] },
      },
      { method: 'GET', path: '/api/content/library/item/item-1', reply: { json: itemModel } },
      {
        method: 'POST',
        path: '/api/content/library/item',
        query: { action: 'find' },
        body: { library_id: 'lib-1', name: 'photon' },
        reply: { json: ['item-1'] },
      },
      { method: 'GET', path: '/api/content/library/item/item-1', reply: { json: itemModel } },
      {
        method: 'GET',
        path: '/api/content/library/item/item-1/file',
        reply: {
          json: [
            {
              name: 'photon.ovf',
              size: 10822,
              cached: true,
              version: '1',
              checksum_info: { algorithm: 'SHA256', checksum: 'AB12' },
            },
            { name: 'photon-disk1.vmdk', size: '734003200', cached: false, version: '1' },
          ],
        },
      },
    );
    const items = await listLibraryItems(api, 'lib-1');
    assert.deepEqual(items, [
      {
        id: 'item-1',
        libraryId: 'lib-1',
        name: 'photon',
        description: 'Photon OS',
        type: 'ovf',
        size: 734013000,
        cached: true,
        contentVersion: '3',
        metadataVersion: '2',
        version: '2',
        creationTime: '2026-11-24T19:05:00.000Z',
        lastModifiedTime: '2026-11-24T19:06:00.000Z',
      },
    ]);
    assert.equal((await requireItem(api, 'lib-1', 'photon')).id, 'item-1');
    assert.deepEqual(await api.listItemFiles('item-1'), [
      {
        name: 'photon.ovf',
        size: 10822,
        cached: true,
        version: '1',
        checksum: { algorithm: 'SHA256', checksum: 'ab12' },
      },
      { name: 'photon-disk1.vmdk', size: 734003200, cached: false, version: '1' },
    ]);
  });
});

test(
  '/api: ensure an item creates it when missing and updates its description otherwise; delete',
  { skip },
  async () => {
    await withModernApi(async (api, fake) => {
      const find = {
        method: 'POST',
        path: '/api/content/library/item',
        query: { action: 'find' },
        body: { library_id: 'lib-1', name: 'photon' },
      };
      fake.expect(
        { ...find, reply: { json: [] } },
        {
          method: 'POST',
          path: '/api/content/library/item',
          body: { library_id: 'lib-1', name: 'photon', description: 'Photon OS', type: 'ovf' },
          reply: { status: 201, json: 'item-1' },
        },
        { method: 'GET', path: '/api/content/library/item/item-1', reply: { json: itemModel } },
        { ...find, reply: { json: ['item-1'] } },
        { method: 'GET', path: '/api/content/library/item/item-1', reply: { json: itemModel } },
        { method: 'PATCH', path: '/api/content/library/item/item-1', body: { description: 'Photon OS 5' } },
        {
          method: 'GET',
          path: '/api/content/library/item/item-1',
          reply: { json: { ...itemModel, description: 'Photon OS 5' } },
        },
        { method: 'PATCH', path: '/api/content/library/item/item-1', body: { name: 'photon5' } },
        { method: 'DELETE', path: '/api/content/library/item/item-1' },
        { ...find, body: { library_id: 'lib-1', name: 'gone' }, reply: { json: [] } },
      );
      const created = await ensureItem(api, {
        libraryId: 'lib-1',
        name: 'photon',
        description: 'Photon OS',
        type: 'ovf',
      });
      assert.equal(created.created, true);
      const updated = await ensureItem(api, {
        libraryId: 'lib-1',
        name: 'photon',
        description: 'Photon OS 5',
        type: 'ovf',
      });
      assert.equal(updated.created, false);
      assert.equal(updated.item.description, 'Photon OS 5');
      await api.updateItem('item-1', { name: 'photon5' });
      await api.deleteItem('item-1');
      assert.equal(await findItemByName(api, 'lib-1', 'gone'), undefined);
    });
  },
);

test('/api: an item of another library with the same name is not taken', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    fake.expect(
      {
        method: 'POST',
        path: '/api/content/library/item',
        query: { action: 'find' },
        body: { library_id: 'lib-2', name: 'photon' },
        reply: { json: ['item-1'] },
      },
      { method: 'GET', path: '/api/content/library/item/item-1', reply: { json: itemModel } },
    );
    await assert.rejects(requireItem(api, 'lib-2', 'photon'), (e: unknown) => isClaasError(e, 'NOT_FOUND'));
  });
});
