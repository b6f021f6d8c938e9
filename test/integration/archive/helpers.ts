// Shared setup of the archive integration tests on Ceph RGW: a work folder, AWS profiles for the test users,
// buckets removed afterwards, CLI arguments for the east zone, small source folders, and reading a key's
// encryption and bytes straight from RGW.

import { after, before } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  makeS3Client,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import type { CliResult } from '../../helpers/cli.js';
import type { S3Client } from '@aws-sdk/client-s3';

export interface ArchiveTestContext {
  work: string;
  env: Record<string, string>;
  buckets: string[];
}

export async function setUp(): Promise<ArchiveTestContext> {
  const work = mkdtempSync(join(tmpdir(), 'claas-archive-'));
  return { work, env: { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) }, buckets: [] };
}

export async function tearDown(ctx: ArchiveTestContext | undefined): Promise<void> {
  if (ctx === undefined) return;
  for (const b of ctx.buckets) await deleteBucket(b);
  await rm(ctx.work, { recursive: true, force: true });
}

/**
 * Registers the file's before/after hooks: `skip` for node:test (the reason when Ceph is not configured),
 * and the context once set up.
 */
export function useArchiveContext(): { skip: string | false; ctx: () => ArchiveTestContext } {
  const skip = cephSkip();
  let ctx: ArchiveTestContext | undefined;
  before(async () => {
    if (!skip) ctx = await setUp();
  });
  after(async () => tearDown(ctx));
  return {
    skip,
    ctx: () => {
      if (ctx === undefined) throw new Error('the archive test context is not set up');
      return ctx;
    },
  };
}

export const east = (): string => cephEnv()!.endpoints['us-east-1'];

export function s3Args(profile = 'publisher'): string[] {
  return ['--profile', profile, '--endpoint', east(), '--region', 'us-east-1'];
}

export async function newBucket(ctx: ArchiveTestContext, prefix: string): Promise<string> {
  const b = uniqueBucketName(prefix);
  await createBucket(b);
  ctx.buckets.push(b);
  return b;
}

/** A claas.yaml whose origin is s3://bucket/prefix on the east zone with the publisher profile. */
export async function writeConfig(
  ctx: ArchiveTestContext,
  name: string,
  location: string,
  extra = '',
): Promise<string> {
  const path = join(ctx.work, `${name}.yaml`);
  await writeFile(
    path,
    `library: ${name}\norigin:\n  location: ${location}\n  endpoint: ${east()}\n  region: us-east-1\n` +
      `  credentials: { profile: publisher }\n${extra}`,
  );
  return path;
}

/** A source folder: item folder "extra" with notes.txt, and an ISO file. */
export async function sourceFolder(ctx: ArchiveTestContext, name: string, notes: string): Promise<string> {
  const src = join(ctx.work, name);
  await mkdir(join(src, 'extra'), { recursive: true });
  await writeFile(join(src, 'extra', 'notes.txt'), notes);
  await writeFile(join(src, 'tools.iso'), 'iso bytes');
  return src;
}

export async function claas(ctx: ArchiveTestContext, args: string[]): Promise<CliResult> {
  return runCli(args, { env: ctx.env });
}

/** Runs a CLI command with --json and returns its parsed output (asserting exit 0). */
export async function claasJson<T = Record<string, unknown>>(
  ctx: ArchiveTestContext,
  args: string[],
): Promise<T> {
  const r = await claas(ctx, [...args, '--json']);
  if (r.code !== 0) throw new Error(`claas ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs fn with an S3 client of the publisher on the east zone, closed afterwards. */
export async function withS3<T>(fn: (client: S3Client) => Promise<T>): Promise<T> {
  const client = makeS3Client('publisher');
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
}

/** A new bucket with a library published from a new source folder at s3://bucket/lib. */
export async function publishedLibrary(
  ctx: ArchiveTestContext,
  name: string,
  notes: string,
  o: { args?: string[]; prepare?: (src: string) => Promise<void> } = {},
): Promise<{ bucket: string; loc: string; src: string }> {
  const bucket = await newBucket(ctx, `claas-${name}`);
  const loc = `s3://${bucket}/lib`;
  const src = await sourceFolder(ctx, `src-${name}`, notes);
  await o.prepare?.(src);
  const r = await claas(ctx, ['publish', src, '--to', loc, ...(o.args ?? []), ...s3Args()]);
  if (r.code !== 0) throw new Error(`publish to ${loc} failed (${r.code}): ${r.stderr}`);
  return { bucket, loc, src };
}

export async function headObject(
  bucket: string,
  key: string,
): Promise<{ sse?: string; kmsKeyId?: string; sha256?: string; size?: number }> {
  return withS3(async (client) => {
    const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return {
      ...(h.ServerSideEncryption === undefined ? {} : { sse: h.ServerSideEncryption }),
      ...(h.SSEKMSKeyId === undefined ? {} : { kmsKeyId: h.SSEKMSKeyId }),
      ...(h.Metadata?.sha256 === undefined ? {} : { sha256: h.Metadata.sha256 }),
      ...(h.ContentLength === undefined ? {} : { size: h.ContentLength }),
    };
  });
}

export async function getText(bucket: string, key: string): Promise<string> {
  return withS3(async (client) => {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString()) ?? '';
  });
}

/** Overwrites an object with other bytes of the same length, keeping its metadata as claas wrote it. */
export async function tamper(bucket: string, key: string): Promise<void> {
  await withS3(async (client) => {
    const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const size = h.ContentLength ?? 1;
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: Buffer.alloc(size, 'X'),
        ...(h.Metadata === undefined ? {} : { Metadata: h.Metadata }),
      }),
    );
  });
}
