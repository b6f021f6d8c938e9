// Against vcsim: claas subscribe's library calls. A subscribed library with Basic authentication reads
// its subscription settings back as sent (the password is write-only), can be synced, is updated in
// place by a second subscribe, and a local library of the same name is never taken over.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClaasError } from '../../../src/errors.js';
import {
  connectVcenter,
  createLocalLibrary,
  deleteLibrary,
  getSubscription,
  subscriptionSettings,
  syncLibrary,
  upsertSubscribedLibrary,
} from '../../../src/vcenter/index.js';
import { firstRef, uniqueName, vcsimConnectOptions, vcsimSkip } from '../../helpers/vcsim.js';

const skip = vcsimSkip();
const THUMBPRINT = '0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9:0a:1b:2c:3d';

test(
  'subscribed library with BASIC auth: settings read back as sent, sync, update in place',
  { skip },
  async () => {
    const api = await connectVcenter(vcsimConnectOptions());
    const name = uniqueName('claas-sub');
    const subscription = subscriptionSettings({
      url: 'https://gw.example.test:8443/lib/templates/lib.json',
      password: 'subscriber-secret',
      thumbprint: THUMBPRINT,
      onDemand: true,
      automaticSync: false,
    });
    assert.equal(subscription.userName, 'vcsp');
    assert.equal(subscription.sslThumbprint, THUMBPRINT.toUpperCase());
    let libraryId: string | undefined;
    try {
      const first = await upsertSubscribedLibrary(api, {
        name,
        description: 'from claas',
        datastoreId: firstRef('datastores').id,
        subscription,
      });
      libraryId = first.library.id;
      assert.ok(first.created);
      assert.equal(first.library.type, 'SUBSCRIBED');
      const { password: _secret, ...sent } = subscription;
      assert.deepEqual(first.library.subscription, sent);
      assert.deepEqual(await getSubscription(api, libraryId), sent);
      assert.ok(
        !JSON.stringify(first.library).includes('subscriber-secret'),
        'the password is never read back',
      );

      await syncLibrary(api, libraryId);
      assert.ok((await api.getLibrary(libraryId)).lastSyncTime !== undefined, 'vcsim records the sync time');

      const again = await upsertSubscribedLibrary(api, {
        name,
        description: 'updated by claas',
        datastoreId: firstRef('datastores').id,
        subscription,
      });
      assert.equal(again.created, false);
      assert.equal(again.library.id, libraryId);
      assert.equal(again.library.description, 'updated by claas');
    } finally {
      if (libraryId !== undefined) await deleteLibrary(api, libraryId);
      await api.logout();
    }
  },
);

test('without a password the subscription uses no authentication', { skip }, async () => {
  const api = await connectVcenter(vcsimConnectOptions());
  try {
    const { library } = await upsertSubscribedLibrary(api, {
      name: uniqueName('claas-sub-open'),
      datastoreId: firstRef('datastores').id,
      subscription: subscriptionSettings({ url: 'http://gw.example.test/lib.json' }),
    });
    try {
      assert.deepEqual(library.subscription, {
        subscriptionUrl: 'http://gw.example.test/lib.json',
        authenticationMethod: 'NONE',
        onDemand: false,
        automaticSyncEnabled: true,
      });
    } finally {
      await deleteLibrary(api, library.id);
    }
  } finally {
    await api.logout();
  }
});

test(
  'subscribe never takes over a local library of the same name; sync refuses a local library',
  { skip },
  async () => {
    const api = await connectVcenter(vcsimConnectOptions());
    const name = uniqueName('claas-local-taken');
    const local = await createLocalLibrary(api, { name, datastoreId: firstRef('datastores').id });
    try {
      await assert.rejects(
        upsertSubscribedLibrary(api, {
          name,
          datastoreId: firstRef('datastores').id,
          subscription: subscriptionSettings({ url: 'https://gw.example.test/lib.json' }),
        }),
        (e: unknown) => isClaasError(e, 'CONFLICT'),
      );
      await assert.rejects(syncLibrary(api, local.id), (e: unknown) => isClaasError(e, 'BAD_INPUT'));
      assert.equal((await api.getLibrary(local.id)).type, 'LOCAL');
    } finally {
      await deleteLibrary(api, local.id);
      await api.logout();
    }
  },
);
