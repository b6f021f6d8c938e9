// The /api flavour's library calls, request by request, as the vSphere Automation API reference gives
// them: GET/POST /api/content/library(?action=find), POST /api/content/local-library and
// /api/content/subscribed-library with the LibraryModel as the body, PATCH and ?action=sync on
// /api/content/subscribed-library/{id}, DELETE per library type; answers without a "value" envelope.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClaasError } from '../../../src/errors.js';
import {
  createLocalLibrary,
  deleteLibrary,
  findLibraryByName,
  getSubscription,
  subscriptionSettings,
  syncLibrary,
  upsertSubscribedLibrary,
} from '../../../src/vcenter/index.js';
import { hasOpenssl } from '../gateway/openssl.js';
import { withModernApi } from './fake-vcenter.js';

const skip = hasOpenssl() ? false : 'openssl is not installed (the fake vCenter needs a certificate)';
const TP = 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD';

const localModel = {
  id: 'lib-local',
  name: 'templates',
  description: 'made by claas',
  type: 'LOCAL',
  storage_backings: [{ type: 'DATASTORE', datastore_id: 'datastore-12' }],
  creation_time: '2026-11-24T19:05:00.000Z',
  last_modified_time: '2026-11-24T19:05:00.000Z',
  version: '2',
  server_guid: '5c3f2b1a-0000-4000-8000-000000000001',
};

const subscribedModel = {
  ...localModel,
  id: 'lib-sub',
  name: 'from-gateway',
  type: 'SUBSCRIBED',
  subscription_info: {
    subscription_url: 'https://gw.example.com/lib/templates/lib.json',
    authentication_method: 'BASIC',
    user_name: 'vcsp',
    ssl_thumbprint: TP,
    on_demand: true,
    automatic_sync_enabled: false,
  },
  last_sync_time: '2026-11-24T20:00:00.000Z',
};

test('/api: list, get, find libraries', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    fake.expect(
      { method: 'GET', path: '/api/content/library', reply: { json: ['lib-local', 'lib-sub'] } },
      { method: 'GET', path: '/api/content/library/lib-local', reply: { json: localModel } },
      {
        method: 'POST',
        path: '/api/content/library',
        query: { action: 'find' },
        body: { name: 'from-gateway' },
        reply: { json: ['lib-sub'] },
      },
      { method: 'GET', path: '/api/content/library/lib-sub', reply: { json: subscribedModel } },
    );
    assert.deepEqual(await api.listLibraries(), ['lib-local', 'lib-sub']);
    assert.deepEqual(await api.getLibrary('lib-local'), {
      id: 'lib-local',
      name: 'templates',
      description: 'made by claas',
      type: 'LOCAL',
      storageBackings: [{ type: 'DATASTORE', datastoreId: 'datastore-12' }],
      version: '2',
      creationTime: '2026-11-24T19:05:00.000Z',
      lastModifiedTime: '2026-11-24T19:05:00.000Z',
    });
    const found = await findLibraryByName(api, 'from-gateway');
    assert.equal(found?.id, 'lib-sub');
    assert.deepEqual(found?.subscription, {
      subscriptionUrl: 'https://gw.example.com/lib/templates/lib.json',
      authenticationMethod: 'BASIC',
      userName: 'vcsp',
      sslThumbprint: TP,
      onDemand: true,
      automaticSyncEnabled: false,
    });
    assert.equal(found?.lastSyncTime, '2026-11-24T20:00:00.000Z');
  });
});

test('/api: create a local library on a datastore', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    fake.expect(
      {
        method: 'POST',
        path: '/api/content/local-library',
        body: {
          name: 'templates',
          description: 'made by claas',
          type: 'LOCAL',
          storage_backings: [{ type: 'DATASTORE', datastore_id: 'datastore-12' }],
        },
        reply: { status: 201, json: 'lib-local' },
      },
      { method: 'GET', path: '/api/content/library/lib-local', reply: { json: localModel } },
    );
    const lib = await createLocalLibrary(api, {
      name: 'templates',
      description: 'made by claas',
      datastoreId: 'datastore-12',
    });
    assert.equal(lib.id, 'lib-local');
  });
});

test(
  '/api: subscribe creates, then updates in place; subscription read back; sync; delete',
  { skip },
  async () => {
    const subscription = subscriptionSettings({
      url: 'https://gw.example.com/lib/templates/lib.json',
      password: 'sub-secret',
      thumbprint: TP.toLowerCase(),
      onDemand: true,
      automaticSync: false,
    });
    const wireSubscription = {
      subscription_url: 'https://gw.example.com/lib/templates/lib.json',
      authentication_method: 'BASIC',
      user_name: 'vcsp',
      password: 'sub-secret',
      ssl_thumbprint: TP,
      on_demand: true,
      automatic_sync_enabled: false,
    };
    await withModernApi(async (api, fake) => {
      const find = {
        method: 'POST',
        path: '/api/content/library',
        query: { action: 'find' },
        body: { name: 'from-gateway' },
      };
      const get = { method: 'GET', path: '/api/content/library/lib-sub', reply: { json: subscribedModel } };
      fake.expect(
        { ...find, reply: { json: [] } },
        {
          method: 'POST',
          path: '/api/content/subscribed-library',
          body: {
            name: 'from-gateway',
            type: 'SUBSCRIBED',
            storage_backings: [{ type: 'DATASTORE', datastore_id: 'datastore-12' }],
            subscription_info: wireSubscription,
          },
          reply: { status: 201, json: 'lib-sub' },
        },
        get,
        { ...find, reply: { json: ['lib-sub'] } },
        get,
        {
          method: 'PATCH',
          path: '/api/content/subscribed-library/lib-sub',
          body: { description: 'new', subscription_info: wireSubscription },
        },
        get,
        get,
        get,
        { method: 'POST', path: '/api/content/subscribed-library/lib-sub', query: { action: 'sync' } },
        get,
        { method: 'DELETE', path: '/api/content/subscribed-library/lib-sub' },
      );
      const first = await upsertSubscribedLibrary(api, {
        name: 'from-gateway',
        datastoreId: 'datastore-12',
        subscription,
      });
      assert.equal(first.created, true);
      const second = await upsertSubscribedLibrary(api, {
        name: 'from-gateway',
        description: 'new',
        datastoreId: 'datastore-12',
        subscription,
      });
      assert.equal(second.created, false);
      const { password: _p, ...sent } = subscription;
      assert.deepEqual(await getSubscription(api, 'lib-sub'), sent);
      await syncLibrary(api, 'lib-sub');
      await deleteLibrary(api, 'lib-sub');
    });
  },
);

test('/api: a local library is deleted through /api/content/local-library', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    fake.expect(
      { method: 'GET', path: '/api/content/library/lib-local', reply: { json: localModel } },
      { method: 'DELETE', path: '/api/content/local-library/lib-local' },
    );
    await deleteLibrary(api, 'lib-local');
  });
});

test('/api: vAPI errors map to claas codes with the server message', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    const notFound = {
      error_type: 'NOT_FOUND',
      messages: [{ id: 'x', default_message: 'Library lib-x not found.', args: [] }],
    };
    fake.expect(
      { method: 'GET', path: '/api/content/library/lib-x', reply: { status: 404, json: notFound } },
      {
        method: 'POST',
        path: '/api/content/local-library',
        body: {
          name: 'dup',
          type: 'LOCAL',
          storage_backings: [{ type: 'DATASTORE', datastore_id: 'datastore-12' }],
        },
        reply: {
          status: 400,
          json: { error_type: 'ALREADY_EXISTS', messages: [{ default_message: 'Name exists' }] },
        },
      },
      {
        method: 'GET',
        path: '/api/content/library',
        reply: { status: 401, json: { error_type: 'UNAUTHENTICATED', messages: [] } },
      },
      {
        method: 'GET',
        path: '/api/content/library',
        reply: { status: 403, json: { error_type: 'UNAUTHORIZED', messages: [] } },
      },
      { method: 'GET', path: '/api/content/library', reply: { status: 500, raw: '<html>oops</html>' } },
      { method: 'GET', path: '/api/content/library', reply: { raw: 'not json' } },
      { method: 'GET', path: '/api/content/library/lib-bad', reply: { json: { id: 'lib-bad', name: 'x' } } },
      { method: 'GET', path: '/api/content/library', reply: { json: { value: ['wrapped'] } } },
    );
    await assert.rejects(api.getLibrary('lib-x'), (e: unknown) => {
      assert.ok(isClaasError(e, 'NOT_FOUND'));
      assert.match(
        (e as Error).message,
        /get library lib-x failed \(HTTP 404 NOT_FOUND\): Library lib-x not found\./,
      );
      return true;
    });
    await assert.rejects(
      api.createLocalLibrary({
        name: 'dup',
        storageBackings: [{ type: 'DATASTORE', datastoreId: 'datastore-12' }],
      }),
      (e: unknown) => isClaasError(e, 'CONFLICT') && /Name exists/.test((e as Error).message),
    );
    await assert.rejects(api.listLibraries(), (e: unknown) => isClaasError(e, 'AUTH'));
    await assert.rejects(api.listLibraries(), (e: unknown) => isClaasError(e, 'FORBIDDEN'));
    await assert.rejects(
      api.listLibraries(),
      (e: unknown) => isClaasError(e, 'PROTOCOL') && /oops/.test((e as Error).message),
    );
    await assert.rejects(
      api.listLibraries(),
      (e: unknown) => isClaasError(e, 'PROTOCOL') && /not JSON/.test((e as Error).message),
    );
    await assert.rejects(
      api.getLibrary('lib-bad'),
      (e: unknown) => isClaasError(e, 'PROTOCOL') && /"type"/.test((e as Error).message),
    );
    await assert.rejects(api.listLibraries(), (e: unknown) => isClaasError(e, 'PROTOCOL'));
  });
});
