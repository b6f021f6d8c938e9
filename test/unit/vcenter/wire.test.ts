// Flavour-independent mapping details: the legacy flavour's maps as {key, value} arrays, passwords
// never read back, OVF deploy results, vAPI error documents of both flavours, id-like inventory refs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deployResultFromWire, deployToWire, libraryFromWire } from '../../../src/vcenter/wire.js';
import { parseVapiError, statusError } from '../../../src/vcenter/http-errors.js';
import { looksLikeId, subscriptionSettings } from '../../../src/vcenter/index.js';
import { isClaasError } from '../../../src/errors.js';

const ctx = { op: 'test', server: 'https://vc.example.com' };

test('deploy bodies: maps are objects in /api and {key, value} arrays in /rest', () => {
  const target = { resourcePoolId: 'resgroup-9' };
  const spec = { name: 'vm', acceptAllEula: true, networkMappings: { a: 'network-1', b: 'network-2' } };
  assert.deepEqual(deployToWire(target, spec, false).deployment_spec, {
    name: 'vm',
    accept_all_EULA: true,
    network_mappings: { a: 'network-1', b: 'network-2' },
  });
  assert.deepEqual(deployToWire(target, spec, true).deployment_spec, {
    name: 'vm',
    accept_all_EULA: true,
    network_mappings: [
      { key: 'a', value: 'network-1' },
      { key: 'b', value: 'network-2' },
    ],
  });
  assert.deepEqual(deployToWire(target, { name: 'vm', acceptAllEula: false }, true), {
    target: { resource_pool_id: 'resgroup-9' },
    deployment_spec: { name: 'vm', accept_all_EULA: false },
  });
});

test('a library read back never carries the subscription password, even if a server sends it', () => {
  const lib = libraryFromWire(ctx, {
    id: 'l',
    name: 'n',
    type: 'SUBSCRIBED',
    subscription_info: {
      subscription_url: 'https://x/lib.json',
      authentication_method: 'BASIC',
      user_name: 'vcsp',
      password: 'leak',
    },
  });
  assert.ok(!JSON.stringify(lib).includes('leak'));
  assert.deepEqual(lib.subscription, {
    subscriptionUrl: 'https://x/lib.json',
    authenticationMethod: 'BASIC',
    userName: 'vcsp',
    onDemand: false,
    automaticSyncEnabled: false,
  });
});

test('deploy results: success needs a resource; errors and warnings are collected', () => {
  assert.throws(
    () => deployResultFromWire(ctx, { succeeded: true }),
    (e: unknown) => isClaasError(e, 'PROTOCOL'),
  );
  const failed = deployResultFromWire(ctx, {
    error: {
      errors: [
        {
          category: 'SERVER',
          error: { messages: [{ default_message: 'a' }] },
          issues: [{ message: { default_message: 'b' } }],
        },
      ],
      warnings: [{ message: { default_message: 'w' } }],
    },
  });
  assert.deepEqual(failed, {
    succeeded: false,
    errors: ['a', 'b'],
    warnings: ['w'],
    errorCategory: 'SERVER',
  });
});

test('vAPI error documents of both flavours', () => {
  assert.deepEqual(
    parseVapiError('{"error_type":"NOT_FOUND","messages":[{"default_message":"gone","id":"x"}]}'),
    {
      kind: 'NOT_FOUND',
      messages: ['gone'],
    },
  );
  assert.deepEqual(
    parseVapiError(
      '{"type":"com.vmware.vapi.std.errors.already_exists","value":{"messages":[{"default_message":"dup"}]}}',
    ),
    { kind: 'ALREADY_EXISTS', messages: ['dup'] },
  );
  assert.deepEqual(parseVapiError('404 page not found\n'), { messages: ['404 page not found'] });
  const e = statusError(
    'https://vc',
    '/rest/x',
    'do x',
    400,
    '{"type":"com.vmware.vapi.std.errors.invalid_argument","value":{}}',
  );
  assert.equal(e.code, 'BAD_INPUT');
  assert.equal(e.input, 'https://vc/rest/x');
  assert.equal(statusError('https://vc', '/x', 'do x', 503, '').code, 'UNREACHABLE');
  assert.equal(statusError('https://vc', '/x', 'do x', 418, '').code, 'PROTOCOL');
});

test('managed object ids are told from names', () => {
  for (const id of [
    'datastore-12',
    'resgroup-9',
    'resgroup-v5',
    'group-v4',
    'dvportgroup-20',
    '/tmp/govcsim-DC0-LocalDS_0-1@folder-5',
  ]) {
    assert.ok(looksLikeId(id), id);
  }
  for (const name of ['VM Network', 'vsanDatastore', 'Resources', 'prod-net', 'nfs-01a'])
    assert.ok(!looksLikeId(name), name);
});

test('subscription settings: BASIC with user vcsp only with a password; URLs are checked', () => {
  assert.equal(
    subscriptionSettings({ url: 'https://gw/lib.json', password: '' }).authenticationMethod,
    'NONE',
  );
  for (const url of ['ftp://gw/lib.json', 'not a url', 'https://u:p@gw/lib.json']) {
    assert.throws(
      () => subscriptionSettings({ url }),
      (e: unknown) => isClaasError(e, 'BAD_INPUT'),
      url,
    );
  }
  assert.throws(
    () => subscriptionSettings({ url: 'https://gw/lib.json', thumbprint: 'zz' }),
    (e: unknown) => isClaasError(e, 'BAD_INPUT'),
  );
});
