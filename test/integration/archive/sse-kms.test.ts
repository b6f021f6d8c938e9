// SSE-KMS everywhere claas writes, against Ceph RGW's testing KMS backend (key testkey-1): publish with
// --sse aws:kms, read back, verify --deep; archive snapshot with the origin's KMS settings from claas.yaml
// (server-side copies of KMS objects: RGW 16 needs UploadPartCopy for those), archive verify, rollback.
// Not exercisable on RGW 16 and covered by request-level tests instead (test/unit/archive/s3-requests):
// SSE-S3 (AES256: RGW accepts the header but stores unencrypted), archive storage classes (GLACIER...).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';

import {
  claas,
  claasJson,
  getText,
  headObject,
  publishedLibrary,
  s3Args,
  useArchiveContext,
  withS3,
  writeConfig,
} from './helpers.js';

const { skip, ctx: context } = useArchiveContext();
const KMS = ['--sse', 'aws:kms', '--kms-key-id', 'testkey-1'];

async function keys(bucket: string, prefix: string): Promise<string[]> {
  return withS3(async (client) => {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key ?? '');
  });
}

test('SSE-KMS with RGW testkey-1: publish, verify --deep, archive, rollback', { skip }, async () => {
  const c = context();
  const { bucket, loc, src } = await publishedLibrary(c, 'kms', 'secret notes v1', { args: KMS });
  const notesSha = createHash('sha256').update('secret notes v1').digest('hex');
  const dataKey = `lib/extra/${notesSha}/notes.txt`;
  assert.deepEqual(await headObject(bucket, dataKey), {
    sse: 'aws:kms',
    kmsKeyId: 'testkey-1',
    sha256: notesSha,
    size: 'secret notes v1'.length,
  });
  assert.equal(await getText(bucket, dataKey), 'secret notes v1', 'RGW decrypts on read');
  assert.equal((await headObject(bucket, 'lib/lib.json')).sse, 'aws:kms', 'metadata documents too');
  const verify = await claas(c, ['verify', loc, '--deep', ...s3Args()]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);

  // The origin's encryption from claas.yaml carries into the archive and the audit entries.
  const config = await writeConfig(c, 'secure', loc, '  sse: aws:kms\n  kmsKeyId: testkey-1\n');
  const snap = await claasJson<{ id: string; copies: Record<string, number> }>(c, [
    'archive',
    'snapshot',
    '--config',
    config,
  ]);
  assert.equal(snap.copies['server-side'], 2);
  for (const key of await keys(bucket, `claas-control/libraries/lib/.claas-archive/${snap.id}/`)) {
    const h = await headObject(bucket, key);
    assert.deepEqual([key, h.sse, h.kmsKeyId], [key, 'aws:kms', 'testkey-1']);
  }
  const manifest = JSON.parse(
    await getText(bucket, `claas-control/libraries/lib/.claas-archive/${snap.id}/.claas/archive.json`),
  ) as {
    encryption: { sse: string; kmsKeyId: string };
  };
  assert.deepEqual(manifest.encryption, { sse: 'aws:kms', kmsKeyId: 'testkey-1' });
  const av = await claas(c, ['archive', 'verify', '--config', config]);
  assert.equal(av.code, 0, av.stdout + av.stderr);
  for (const key of await keys(bucket, 'claas-control/libraries/lib/.claas/audit/')) {
    assert.equal((await headObject(bucket, key)).sse, 'aws:kms', `${key} encrypted`);
  }

  // Rollback on the encrypted library.
  await writeFile(join(src, 'extra', 'notes.txt'), 'secret notes v2');
  assert.equal((await claas(c, ['publish', src, '--to', loc, ...KMS, ...s3Args()])).code, 0);
  const rb = await claasJson<{ publish: { library: { version: number } }; files: { sha256: string }[] }>(c, [
    'rollback',
    'extra',
    '--item-version',
    '1',
    '--config',
    config,
  ]);
  assert.equal(rb.publish.library.version, 3);
  assert.equal(rb.files[0]?.sha256, notesSha);
  assert.equal((await headObject(bucket, 'lib/items-3.json')).sse, 'aws:kms');
  const after3 = await claas(c, ['verify', loc, '--deep', ...s3Args()]);
  assert.equal(after3.code, 0, after3.stdout);

  // The same library restored into a new location, still encrypted with the key.
  const restored = `s3://${bucket}/restored`;
  const r = await claas(c, ['archive', 'restore', snap.id, '--to', restored, '--config', config]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await headObject(bucket, `restored/extra/${notesSha}/notes.txt`)).sse, 'aws:kms');
  assert.equal((await headObject(bucket, 'restored/lib.json')).sse, 'aws:kms');
});
