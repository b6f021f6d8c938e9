// mapS3Error: S3 and network errors become ClaasErrors that name the s3:// URL (or the endpoint) and the
// fix, and never carry a key or secret; isRetryable never retries auth errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRetryable, mapS3Error } from '../../../src/store/s3-errors.js';
import { backoffDelay } from '../../../src/store/s3-retry.js';

const URL = 's3://bucket/lib';

function sdkError(name: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} message`), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}

test('rejected credentials are AUTH and keep no key material', () => {
  const err = sdkError('SignatureDoesNotMatch', 403, {
    AWSAccessKeyId: 'AKIAEXAMPLEEXAMPLE12',
    StringToSign: 'AWS4-HMAC-SHA256\nsecret-ish',
  });
  const mapped = mapS3Error(err, 'read', URL);
  assert.equal(mapped.code, 'AUTH');
  assert.match(mapped.message, /credentials for s3:\/\/bucket\/lib were rejected/);
  assert.match(mapped.hint ?? '', /profile/);
  const everything = JSON.stringify({ ...mapped, cause: String(mapped.cause), json: mapped.toJSON() });
  assert.doesNotMatch(everything, /AKIAEXAMPLE|secret-ish/);
  assert.equal(mapS3Error(sdkError('InvalidAccessKeyId', 403), 'write', URL).code, 'AUTH');
});

test('AccessDenied says read vs write', () => {
  const write = mapS3Error(sdkError('AccessDenied', 403), 'write', URL);
  assert.equal(write.code, 'FORBIDDEN');
  assert.match(write.message, /can read but not write s3:\/\/bucket\/lib/);
  const read = mapS3Error(sdkError('AccessDenied', 403), 'read', URL);
  assert.match(read.message, /cannot read s3:\/\/bucket\/lib/);
});

test('NoSuchBucket is NOT_FOUND with the --create-bucket hint; NoSuchKey is NOT_FOUND', () => {
  const bucket = mapS3Error(sdkError('NoSuchBucket', 404), 'write', URL);
  assert.equal(bucket.code, 'NOT_FOUND');
  assert.match(bucket.hint ?? '', /--create-bucket/);
  assert.equal(mapS3Error(sdkError('NoSuchKey', 404), 'read', `${URL}/x`).code, 'NOT_FOUND');
});

test('region errors are BAD_INPUT naming the right region when S3 tells it', () => {
  const redirect = sdkError('PermanentRedirect', 301, {
    $response: { statusCode: 301, headers: { 'x-amz-bucket-region': 'eu-west-1' } },
  });
  const mapped = mapS3Error(redirect, 'read', URL);
  assert.equal(mapped.code, 'BAD_INPUT');
  assert.match(mapped.message, /Wrong region.*eu-west-1/);
  assert.match(mapped.hint ?? '', /--region eu-west-1/);
  const header = sdkError('AuthorizationHeaderMalformed', 400, {
    Region: 'ap-south-1',
    message: "the region 'us-east-1' is wrong; expecting 'ap-south-1'",
  });
  assert.match(mapS3Error(header, 'read', URL).message, /ap-south-1/);
});

test('connection errors are UNREACHABLE naming the endpoint', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const mapped = mapS3Error(refused, 'read', URL, 'http://127.0.0.1:1');
  assert.equal(mapped.code, 'UNREACHABLE');
  assert.match(mapped.message, /http:\/\/127\.0\.0\.1:1/);
  const dns = new AggregateError([Object.assign(new Error('x'), { code: 'ENOTFOUND' })], 'dns');
  assert.equal(mapS3Error(dns, 'read', URL, 'https://s3.example.invalid').code, 'UNREACHABLE');
});

test('retry only what can pass', () => {
  assert.equal(isRetryable(sdkError('SlowDown', 503)), true);
  assert.equal(isRetryable(sdkError('InternalError', 500)), true);
  assert.equal(isRetryable(sdkError('RequestTimeout', 400)), true);
  assert.equal(isRetryable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), true);
  assert.equal(isRetryable(new Error('socket hang up')), true);
  assert.equal(isRetryable(sdkError('AccessDenied', 403)), false);
  assert.equal(isRetryable(sdkError('SignatureDoesNotMatch', 403)), false);
  assert.equal(isRetryable(sdkError('InvalidAccessKeyId', 403)), false);
  assert.equal(isRetryable(Object.assign(new Error('aborted'), { name: 'AbortError' })), false);
});

test('full-jitter backoff stays below the exponential ceiling and the cap', () => {
  const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(
    backoffDelay(1, policy, () => 0.999),
    99,
  );
  assert.equal(
    backoffDelay(3, policy, () => 0.5),
    200,
  );
  assert.equal(
    backoffDelay(10, policy, () => 0.999),
    999,
  );
  assert.equal(
    backoffDelay(2, policy, () => 0),
    0,
  );
});
