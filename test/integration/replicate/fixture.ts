// Shared set-up of the replication tests on the Ceph two-zone cluster: AWS profiles for the test users, a
// claas.yaml like issue 4's example, folders to publish, radosgw-admin for the zone sync switches, and
// small S3 helpers that act as a bucket's owner (reading policies back, tampering with a replica).

import { execFile } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { runCli } from '../../helpers/cli.js';
import type { CliResult } from '../../helpers/cli.js';
import { cephEnv, makeS3Client } from '../../helpers/ceph.js';
import type { CephUser, CephZone } from '../../helpers/ceph.js';

const run = promisify(execFile);

export interface ReplicaSpec {
  name: string;
  bucket: string;
  zone?: CephZone;
  mode: 'native' | 'mirror';
  profile: CephUser;
  account?: string;
  storageClass?: string;
}

/** A claas.yaml: origin on us-east-1 as the publisher, then the replicas given. */
export function claasYaml(library: string, originBucket: string, replicas: ReplicaSpec[]): string {
  const env = cephEnv()!;
  const lines = [
    `library: ${library}`,
    'origin:',
    `  location: s3://${originBucket}/lib`,
    `  endpoint: ${env.endpoints['us-east-1']}`,
    '  region: us-east-1',
    '  credentials: { profile: publisher }',
    'replicas:',
  ];
  for (const r of replicas) {
    const zone = r.zone ?? 'us-east-1';
    lines.push(
      `  - name: ${r.name}`,
      `    location: s3://${r.bucket}/lib`,
      `    endpoint: ${env.endpoints[zone]}`,
      `    region: ${zone}`,
      ...(r.account === undefined ? [] : [`    account: "${r.account}"`]),
      ...(r.storageClass === undefined ? [] : [`    storageClass: ${r.storageClass}`]),
      `    mode: ${r.mode}`,
      `    credentials: { profile: ${r.profile} }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function randomFile(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (let left = bytes; left > 0; left -= 1 << 20) await fh.write(randomBytes(Math.min(left, 1 << 20)));
  } finally {
    await fh.close();
  }
}

/** Writes `text` into <folder>/<item>/<file>. */
export async function writeItem(
  folder: string,
  item: string,
  file: string,
  text: string | Buffer,
): Promise<void> {
  await mkdir(join(folder, item), { recursive: true });
  await writeFile(join(folder, item, file), text);
}

export async function claas(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 300_000,
): Promise<CliResult> {
  return runCli(args, { env, timeoutMs });
}

/** Parses a --json CLI result, failing with its output when it is not JSON. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

export interface StoreReport {
  name: string;
  state: string;
  libVersion?: number;
  consistentVersion?: number;
  behind?: number;
  lagSeconds?: number;
  missing: { key: string; broken: boolean; reason: string }[];
  wrongSize: { key: string }[];
  wrongHash: { key: string }[];
  requests: number;
}

export interface Report {
  exitCode: number;
  state: string;
  stores: StoreReport[];
  requests: number;
  origin: { version?: number };
}

export function storeOf(r: Report, name: string): StoreReport {
  const s = r.stores.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no store ${name} in ${JSON.stringify(r)}`);
  return s;
}

/** radosgw-admin against the test cluster, when its ceph.conf is known. */
export async function radosgwAdmin(args: string[]): Promise<string> {
  const conf = cephEnv()?.cephConf;
  if (conf === undefined) throw new Error('CLAAS_TEST_CEPH_CONF is not set');
  const { stdout } = await run('radosgw-admin', ['-c', conf, ...args], { timeout: 60_000 });
  return stdout;
}

export async function readPolicy(
  bucket: string,
  user: CephUser,
): Promise<{ Statement: { Sid?: string }[] } | undefined> {
  const c = makeS3Client(user);
  try {
    const out = await c.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    return out.Policy === undefined ? undefined : JSON.parse(out.Policy);
  } catch {
    return undefined;
  } finally {
    c.destroy();
  }
}

export async function readVersioning(bucket: string, user: CephUser): Promise<string | undefined> {
  const c = makeS3Client(user);
  try {
    return (await c.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
  } finally {
    c.destroy();
  }
}

export async function readReplication(bucket: string, user: CephUser) {
  const c = makeS3Client(user);
  try {
    return (await c.send(new GetBucketReplicationCommand({ Bucket: bucket }))).ReplicationConfiguration;
  } finally {
    c.destroy();
  }
}
