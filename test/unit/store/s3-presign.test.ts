// Presigned GET URLs (StoreFeatures.presign) without a network: the URL has the client's addressing
// (path style for S3-compatible endpoints, virtual-hosted for AWS), the key under the store's prefix
// encoded once, the expiry asked for, only `host` signed, and a signature that an independent SigV4
// check (written here from the specification, not the SDK) accepts for that URL and refuses for the same
// query on another key. Ceph accepting and refusing such URLs is test/integration/gateway/redirect.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { openS3Store } from '../../../src/store/s3.js';
import { isClaasError } from '../../../src/errors.js';

const credentials = { accessKeyId: 'AKIDPRESIGNTEST', secretAccessKey: 'presign/secret+key' };

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4 query-string authentication, checked from the URL alone (AWS's "Authenticating Requests: Using Query Parameters"). */
function sigV4Valid(url: string, secret: string): boolean {
  const u = new URL(url);
  const q = [...u.searchParams.entries()];
  const given = u.searchParams.get('X-Amz-Signature');
  const [, date, region, service] = /^[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(
    u.searchParams.get('X-Amz-Credential') ?? '',
  )!;
  const canonicalQuery = q
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = u.searchParams.get('X-Amz-SignedHeaders')!;
  const canonical = [
    'GET',
    u.pathname,
    canonicalQuery,
    `host:${u.host}\n`,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    u.searchParams.get('X-Amz-Date'),
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  let key = hmac(`AWS4${secret}`, date!);
  for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
  return hmac(key, toSign).toString('hex') === given;
}

test('S3-compatible endpoint: path style, key under the prefix encoded once, only host signed', async () => {
  const store = await openS3Store(
    {
      kind: 's3',
      bucket: 'lib-bucket',
      prefix: 'templates',
      endpoint: 'http://127.0.0.1:7480',
      region: 'us-east-1',
    },
    { credentials },
  );
  try {
    const url = await store.features.presign!.getUrl('photon/ab12/disk one+two.vmdk', 900, {
      contentType: 'application/octet-stream',
    });
    const u = new URL(url);
    assert.equal(u.origin, 'http://127.0.0.1:7480');
    assert.equal(u.pathname, '/lib-bucket/templates/photon/ab12/disk%20one%2Btwo.vmdk');
    assert.equal(u.searchParams.get('X-Amz-Expires'), '900');
    assert.equal(u.searchParams.get('X-Amz-SignedHeaders'), 'host');
    assert.equal(u.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
    assert.match(
      u.searchParams.get('X-Amz-Credential')!,
      /^AKIDPRESIGNTEST\/\d{8}\/us-east-1\/s3\/aws4_request$/,
    );
    assert.equal(u.searchParams.get('response-content-type'), 'application/octet-stream');
    assert.ok(!url.includes(credentials.secretAccessKey), 'no secret in the URL');
    assert.ok(!url.includes(encodeURIComponent(credentials.secretAccessKey)));
    assert.ok(sigV4Valid(url, credentials.secretAccessKey), 'the signature is valid for this URL');

    // The same query on another key (another library's file) does not verify.
    const other = new URL(url);
    other.pathname = '/lib-bucket/isos/photon/ab12/disk%20one%2Btwo.vmdk';
    assert.equal(sigV4Valid(other.toString(), credentials.secretAccessKey), false);
    // Nor with a longer expiry.
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    assert.equal(sigV4Valid(longer.toString(), credentials.secretAccessKey), false);
  } finally {
    store.close();
  }
});

test('AWS: virtual-hosted style in the store region', async () => {
  const store = await openS3Store(
    { kind: 's3', bucket: 'lib-bucket', prefix: '', region: 'eu-west-1' },
    { credentials },
  );
  try {
    const url = await store.features.presign!.getUrl('a/b.iso', 60);
    const u = new URL(url);
    assert.equal(u.origin, 'https://lib-bucket.s3.eu-west-1.amazonaws.com');
    assert.equal(u.pathname, '/a/b.iso');
    assert.equal(u.searchParams.get('X-Amz-Expires'), '60');
    assert.match(u.searchParams.get('X-Amz-Credential')!, /\/eu-west-1\/s3\/aws4_request$/);
    assert.equal(u.searchParams.get('response-content-type'), null);
    assert.ok(sigV4Valid(url, credentials.secretAccessKey));
  } finally {
    store.close();
  }
});

test('expiry outside 1 s .. 7 days is refused before anything is signed', async () => {
  const store = await openS3Store(
    { kind: 's3', bucket: 'b', prefix: '', endpoint: 'http://127.0.0.1:7480', region: 'us-east-1' },
    { credentials },
  );
  try {
    for (const seconds of [0, -5, 1.5, 604_801]) {
      await assert.rejects(store.features.presign!.getUrl('k', seconds), (e) => isClaasError(e, 'BAD_INPUT'));
    }
    assert.ok(await store.features.presign!.getUrl('k', 604_800));
  } finally {
    store.close();
  }
});
