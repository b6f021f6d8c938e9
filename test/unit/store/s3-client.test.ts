// The S3 client claas configures for S3-compatible endpoints: path-style requests, no default CRC32
// trailers, Content-MD5 on DeleteObjects; and the SDK's Node-version warning silenced by its own switch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../src/store/s3-client.js';
import { isAwsEndpoint } from '../../../src/store/endpoints.js';
import { withFakeS3 } from '../../helpers/fake-s3.js';

const credentials = { accessKeyId: 'TESTKEY', secretAccessKey: 'testsecret' };

test('non-AWS endpoints: path style, no CRC32 trailers, Content-MD5 on DeleteObjects', async () => {
  await withFakeS3(
    async (endpoint, seen) => {
      const client = createS3Client({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
      try {
        await client.send(
          new PutObjectCommand({ Bucket: 'bkt', Key: 'a/b.txt', Body: Buffer.from('hello') }),
        );
        await client.send(
          new DeleteObjectsCommand({ Bucket: 'bkt', Delete: { Objects: [{ Key: 'a/b.txt' }] } }),
        );
      } finally {
        client.destroy();
      }
      const [put, del] = seen;
      assert.ok(put !== undefined && del !== undefined);
      assert.match(put.url, /^\/bkt\/a\/b\.txt(\?|$)/);
      assert.equal(put.body.toString(), 'hello');
      assert.equal(put.headers['content-encoding'], undefined);
      assert.equal(put.headers['x-amz-trailer'], undefined);
      assert.equal(put.headers['x-amz-checksum-crc32'], undefined);
      assert.equal(del.method, 'POST');
      assert.match(del.url, /^\/bkt\/?\?delete/);
      assert.equal(del.headers['content-md5'], createHash('md5').update(del.body).digest('base64'));
    },
    (r) => ({ body: r.url.includes('delete') ? '<DeleteResult></DeleteResult>' : '' }),
  );
});

test('isAwsEndpoint tells AWS from S3-compatible stores', () => {
  assert.equal(isAwsEndpoint(undefined), true);
  assert.equal(isAwsEndpoint('https://s3.eu-west-1.amazonaws.com'), true);
  assert.equal(isAwsEndpoint('https://bucket.s3.amazonaws.com.cn'), true);
  assert.equal(isAwsEndpoint('http://127.0.0.1:7480'), false);
  assert.equal(isAwsEndpoint('https://minio.example.com'), false);
  assert.equal(isAwsEndpoint('https://amazonaws.com.evil.example'), false);
});

test('creating a client prints no NodeVersionSupportWarning (and the SDK alone would, on Node < 22)', () => {
  const clientModule = fileURLToPath(new URL('../../../src/store/s3-client.js', import.meta.url));
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const withClaas = spawnStderr(
    `const { createS3Client } = await import(${JSON.stringify(clientModule)}); createS3Client({ region: 'us-east-1' }).destroy();`,
    env,
  );
  assert.doesNotMatch(withClaas, /NodeVersionSupportWarning/);
  if (Number(process.versions.node.split('.')[0]) < 22) {
    const raw = spawnStderr(
      `const { S3Client } = await import('@aws-sdk/client-s3'); new S3Client({ region: 'us-east-1' }).destroy();`,
      env,
    );
    assert.match(raw, /NodeVersionSupportWarning/, 'the SDK no longer warns this way: revisit s3-client.ts');
  }
});

function spawnStderr(code: string, env: NodeJS.ProcessEnv): string {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env,
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('../../../../', import.meta.url)),
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stderr;
}
