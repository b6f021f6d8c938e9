// Location strings: file forms, plain paths, s3 URIs with endpoint/region defaults, and refusals
// (http URLs, bad bucket names, traversal in prefixes, credentials, which are never echoed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { displayLocation, parseLocation } from '../../../src/store/location.js';
import { ClaasError, isClaasError } from '../../../src/errors.js';

const noEnv = {};

test('file locations and plain paths become absolute fs locations', () => {
  const table: Array<[string, string]> = [
    ['file:/srv/lib', '/srv/lib'],
    ['file:///srv/lib', '/srv/lib'],
    ['file:///srv/my%20lib', '/srv/my lib'],
    ['file:rel/lib', resolve('rel/lib')],
    ['/abs/path/', '/abs/path'],
    ['relative/dir', resolve('relative/dir')],
    ['./x/../y', resolve('y')],
    ['backup:2026', resolve('backup:2026')],
    ['FILE:/srv/upper', '/srv/upper'],
  ];
  for (const [text, path] of table) {
    assert.deepEqual(parseLocation(text, {}, noEnv), { kind: 'fs', path }, text);
  }
});

test('s3 locations: bucket, normalised prefix, endpoint and region from options or environment', () => {
  assert.deepEqual(parseLocation('s3://my-bucket', {}, noEnv), {
    kind: 's3',
    bucket: 'my-bucket',
    prefix: '',
  });
  assert.deepEqual(parseLocation('s3://my.bucket.1/', {}, noEnv), {
    kind: 's3',
    bucket: 'my.bucket.1',
    prefix: '',
  });
  assert.deepEqual(parseLocation('s3://bkt/a/b/', {}, noEnv), { kind: 's3', bucket: 'bkt', prefix: 'a/b' });
  assert.deepEqual(parseLocation('s3://bkt//a/b//', {}, noEnv), { kind: 's3', bucket: 'bkt', prefix: 'a/b' });
  const env = {
    AWS_ENDPOINT_URL: 'http://generic:9000',
    AWS_ENDPOINT_URL_S3: 'http://minio:9000/',
    AWS_DEFAULT_REGION: 'eu-west-1',
  };
  assert.deepEqual(parseLocation('s3://bkt/lib', {}, env), {
    kind: 's3',
    bucket: 'bkt',
    prefix: 'lib',
    endpoint: 'http://minio:9000',
    region: 'eu-west-1',
  });
  assert.deepEqual(
    parseLocation(
      's3://bkt/lib',
      {},
      { AWS_ENDPOINT_URL: 'http://generic:9000', AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'x' },
    ),
    {
      kind: 's3',
      bucket: 'bkt',
      prefix: 'lib',
      endpoint: 'http://generic:9000',
      region: 'us-east-2',
    },
  );
  assert.deepEqual(
    parseLocation('s3://bkt/lib', { endpoint: 'https://rgw.example', region: 'r1', profile: 'pub' }, env),
    {
      kind: 's3',
      bucket: 'bkt',
      prefix: 'lib',
      endpoint: 'https://rgw.example',
      region: 'r1',
      profile: 'pub',
    },
  );
});

test('bad locations are refused with BAD_INPUT and a hint', () => {
  const bad = [
    '',
    '   ',
    'https://example.com/lib.json',
    'http://host/lib',
    'ftp://host/x',
    's3:bucket',
    's3://ab',
    's3://' + 'a'.repeat(64),
    's3://Upper',
    's3://under_score',
    's3://-bucket',
    's3://bucket-',
    's3://a..b',
    's3://192.168.1.1',
    's3://bkt/a/../b',
    's3://bkt/./a',
    's3://bkt/a?x=1',
    'file://remote-host/x',
    'file:',
  ];
  for (const text of bad) {
    assert.throws(
      () => parseLocation(text, {}, noEnv),
      (e) => isClaasError(e, 'BAD_INPUT') && (e as ClaasError).hint !== undefined,
      JSON.stringify(text),
    );
  }
  assert.throws(
    () => parseLocation('s3://bkt', { endpoint: 'not a url' }, noEnv),
    (e) => isClaasError(e, 'BAD_INPUT'),
  );
  assert.throws(
    () => parseLocation('s3://bkt', { endpoint: 'ftp://x' }, noEnv),
    (e) => isClaasError(e, 'BAD_INPUT'),
  );
});

test('an http URL is pointed at verify / import', () => {
  assert.throws(
    () => parseLocation('https://vc.example/cls/vcsp/lib/1/lib.json', {}, noEnv),
    (e) => isClaasError(e, 'BAD_INPUT') && /verify/.test(e.hint ?? ''),
  );
});

test('credentials in a location are refused and never echoed', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const cases = [
    `s3://AKIDEXAMPLE:${secret}@bucket/prefix`,
    `s3://AKIDEXAMPLE@bucket/prefix`,
    `https://vcsp:${secret}@host/lib.json`,
  ];
  for (const text of cases) {
    let caught: unknown;
    try {
      parseLocation(text, {}, noEnv);
    } catch (e) {
      caught = e;
    }
    assert.ok(isClaasError(caught, 'BAD_INPUT'), text);
    const shown = JSON.stringify(caught.toJSON()) + caught.message + String(caught.stack);
    assert.ok(!shown.includes(secret), `secret echoed for ${text}: ${shown}`);
    assert.ok(!shown.includes('AKIDEXAMPLE'), `key id echoed for ${text}`);
  }
  assert.throws(
    () => parseLocation(`s3://AKID:${secret}@bucket`, {}, noEnv),
    (e) => isClaasError(e, 'BAD_INPUT') && /profile|AWS_ACCESS_KEY_ID/.test(e.hint ?? ''),
  );
  let caught: unknown;
  try {
    parseLocation('s3://bkt', { endpoint: `https://user:${secret}@rgw.example` }, noEnv);
  } catch (e) {
    caught = e;
  }
  assert.ok(isClaasError(caught, 'BAD_INPUT'));
  assert.ok(!JSON.stringify(caught.toJSON()).includes(secret));
});

test('displayLocation round-trips', () => {
  for (const text of ['file:/srv/lib', 's3://bkt', 's3://bkt/a/b']) {
    const loc = parseLocation(text, {}, noEnv);
    assert.equal(displayLocation(loc), text);
    assert.deepEqual(parseLocation(displayLocation(loc), {}, noEnv), loc);
  }
});
