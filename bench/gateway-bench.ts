// Shared parts of the gateway benchmarks (gateway-throughput.ts, gateway-redirect.ts): a bucket on the Ceph
// test cluster that the subscriber user may read, a library with one large random file published to it,
// the subscriber's credentials file, a tenant, `claas gateway` in its own process, and the measuring
// helpers (drain a stream, time it, MiB/s, a process's memory and CPU from /proc).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { cli, MiB, msSince, mustRun, publisherEnv, writeRandom } from './lib.js';
import type { CephTestEnv, Credentials } from './lib.js';

/** An S3 client for the test cluster's us-east-1 zone as claas configures one for RGW. */
export function rgwClient(endpoint: string, credentials: Credentials): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function drain(stream: Readable | IncomingMessage): Promise<number> {
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) n += chunk.length;
  return n;
}

export async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const t0 = process.hrtime.bigint();
  const bytes = await fn();
  return { ms: msSince(t0), bytes };
}

export const mbps = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000);

/** A size field of /proc/<pid>/status in MB (VmHWM: peak resident set size, VmRSS: now). */
export function procStatus(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]) / 1024;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

export interface BenchLibrary {
  /** Key of the large file in the bucket, and its href below the library's URL. */
  diskKey: string;
  diskHref: string;
  /** The environment claas commands ran in (the publisher's keys). */
  env: NodeJS.ProcessEnv;
  /** The environment for the gateway and `claas tenant`: the subscriber's credentials file only. */
  gwEnv: NodeJS.ProcessEnv;
}

/**
 * Creates the bucket (readable by the subscriber user: s3:GetObject and s3:ListBucket only), publishes a
 * library with one random file of `size` bytes at s3://bucket/lib, writes the subscriber's credentials file.
 */
export async function publishBenchLibrary(o: {
  ceph: CephTestEnv;
  work: string;
  bucket: string;
  owner: S3Client;
  reader: S3Client;
  size: number;
}): Promise<BenchLibrary> {
  const { ceph, work, bucket, owner, reader } = o;
  const sub = ceph.subscriber!;
  await rm(work, { recursive: true, force: true });
  const src = join(work, 'source');
  await mkdir(join(src, 'disk'), { recursive: true });
  await writeRandom(join(src, 'disk', 'disk.vmdk'), o.size);
  await owner.send(new CreateBucketCommand({ Bucket: bucket }));
  await owner.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'read',
            Effect: 'Allow',
            Principal: { AWS: ['arn:aws:iam:::user/subscriber'] },
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          },
        ],
      }),
    }),
  );
  const creds = join(work, 'aws-credentials');
  await writeFile(
    creds,
    `[subscriber]\naws_access_key_id = ${sub.accessKeyId}\naws_secret_access_key = ${sub.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  const env = publisherEnv(ceph, work, 'us-east-1');
  await mustRun(
    process.execPath,
    [
      cli,
      'publish',
      src,
      '--to',
      `s3://${bucket}/lib`,
      '--endpoint',
      ceph.east,
      '--region',
      'us-east-1',
      '--quiet',
    ],
    env,
  );
  const listed = await reader.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'lib/disk/' }));
  const diskKey = listed.Contents!.find((x) => x.Key!.endsWith('/disk.vmdk'))!.Key!;
  const gwEnv = {
    ...env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SHARED_CREDENTIALS_FILE: creds,
    AWS_CONFIG_FILE: '/dev/null',
  };
  return { diskKey, diskHref: diskKey.slice('lib/'.length), env, gwEnv };
}

/** claas.yaml of a library at s3://bucket/lib in us-east-1, served with the subscriber's credential. */
export function benchConfigYaml(
  library: string,
  bucket: string,
  endpoint: string,
  gatewayExtra: string[] = [],
) {
  return [
    `library: ${library}`,
    'origin:',
    `  location: s3://${bucket}/lib`,
    `  endpoint: ${endpoint}`,
    '  region: us-east-1',
    'gateway:',
    '  listen: 127.0.0.1:8443',
    '  prefer: [origin]',
    '  credentials: { profile: subscriber }',
    '  tenants: ./tenants.json',
    ...gatewayExtra,
    '',
  ].join('\n');
}

/** `claas tenant add` for the libraries of the configurations; the Authorization header of its password. */
export async function addBenchTenant(
  configs: string[],
  libraries: string[],
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const added = await mustRun(
    process.execPath,
    [
      cli,
      'tenant',
      'add',
      'bench',
      ...libraries.flatMap((l) => ['--library', l]),
      ...configs.flatMap((c) => ['--config', c]),
      '--json',
    ],
    env,
  );
  const password = (JSON.parse(added.stdout) as { password: string }).password;
  return `Basic ${Buffer.from(`vcsp:${password}`).toString('base64')}`;
}

/** Starts `command args` (a `claas gateway ... --json`) and waits for its startup JSON: its base URL. */
export async function startGatewayProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ gateway: ChildProcess; base: string }> {
  const gateway = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise<{ port: number }>((resolveInfo, reject) => {
    let out = '';
    gateway.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolveInfo(JSON.parse(out) as { port: number });
      } catch {
        // not complete yet
      }
    });
    gateway.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
  return { gateway, base: `http://127.0.0.1:${info.port}` };
}

/** Stops the gateway (SIGTERM) and waits until it has exited. */
export async function stopGatewayProcess(gateway: ChildProcess): Promise<void> {
  if (gateway.exitCode !== null || gateway.signalCode !== null) return;
  gateway.kill('SIGTERM');
  await new Promise((r) => gateway.once('exit', r));
}
