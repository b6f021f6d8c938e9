// Which delete requests the S3 store sends: one DeleteObject per key for a lock entry and its legacy copy
// (Ceph RGW refuses DeleteObjects to a prefix-scoped publisher), DeleteObjects in batches above that.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { S3Client } from '@aws-sdk/client-s3';
import { deleteBucketKeys, SINGLE_DELETES_UP_TO } from '../../../src/store/s3-delete.js';

function recorder(answer: (name: string, input: unknown) => unknown = () => ({})) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      const out = answer(command.constructor.name, command.input);
      if (out instanceof Error) throw out;
      return out;
    },
  } as unknown as S3Client;
  return { client, sent };
}

const fail = (e: unknown, key: string | undefined): never => {
  throw Object.assign(new Error(`failed on ${key ?? '?'}: ${(e as Error).message}`), { cause: e });
};

test('a lock entry and its legacy copy go one DeleteObject each', async () => {
  const { client, sent } = recorder();
  await deleteBucketKeys(client, 'b', ['area/.claas/lock/x.json', 'lib/.claas/lock/x.json'], fail);
  assert.equal(SINGLE_DELETES_UP_TO, 2);
  assert.deepEqual(
    sent.map((s) => [s.name, s.input.Key]),
    [
      ['DeleteObjectCommand', 'area/.claas/lock/x.json'],
      ['DeleteObjectCommand', 'lib/.claas/lock/x.json'],
    ],
  );
});

test('a missing key is not an error; a refused one names the key', async () => {
  const missing = recorder(() => Object.assign(new Error('gone'), { name: 'NoSuchKey' }));
  await deleteBucketKeys(missing.client, 'b', ['lib/a'], fail);
  const refused = recorder(() => Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
  await assert.rejects(
    deleteBucketKeys(refused.client, 'b', ['lib/a'], fail),
    /failed on lib\/a: Access Denied/,
  );
});

test('more keys go in DeleteObjects batches of 1000, and a per-key error is reported', async () => {
  const keys = Array.from({ length: 1001 }, (_, i) => `lib/k${i}`);
  const { client, sent } = recorder();
  await deleteBucketKeys(client, 'b', keys, fail);
  assert.deepEqual(
    sent.map((s) => [s.name, (s.input.Delete as { Objects: unknown[] }).Objects.length]),
    [
      ['DeleteObjectsCommand', 1000],
      ['DeleteObjectsCommand', 1],
    ],
  );
  const partial = recorder(() => ({
    Errors: [
      { Key: 'lib/k1', Code: 'NoSuchKey' },
      { Key: 'lib/k2', Code: 'AccessDenied', Message: 'Access Denied' },
    ],
  }));
  await assert.rejects(deleteBucketKeys(partial.client, 'b', keys.slice(0, 3), fail), /failed on lib\/k2/);
});
