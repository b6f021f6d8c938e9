// Shared benchmark helpers: run a command and time it, peak RSS via /usr/bin/time when present, ratios,
// markdown rows, the work folder, random input files, and the Ceph test cluster (endpoints, keys, buckets).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

/** dist/src/cli/main.js, resolved from dist/bench. */
export const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
export const MiB = 1 << 20;

/** The folder a benchmark works in: `<$CLAAS_BENCH_DIR or .bench-work>/<name>`. */
export function workDir(name: string): string {
  return resolve(process.env.CLAAS_BENCH_DIR ?? '.bench-work', name);
}

/** Milliseconds since t0 (a process.hrtime.bigint()). */
export function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size in MB, when /usr/bin/time is available. */
  peakRssMb?: number;
}

export function timeCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Timed> {
  const useTime = existsSync('/usr/bin/time');
  const file = useTime ? '/usr/bin/time' : cmd;
  const argv = useTime ? ['-f', '__PEAK_RSS_KB=%M', cmd, ...args] : args;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = msSince(t0);
      const m = /__PEAK_RSS_KB=(\d+)/.exec(stderr);
      resolve({
        ms,
        code,
        stdout,
        stderr: stderr.replace(/__PEAK_RSS_KB=\d+\n?/, ''),
        ...(m ? { peakRssMb: Number(m[1]) / 1024 } : {}),
      });
    });
  });
}

export async function mustRun(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Timed> {
  const t = await timeCommand(cmd, args, env);
  if (t.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${t.code}): ${t.stderr.slice(-2000)}`);
  return t;
}

/** Best (lowest) of n runs: the least disturbed by other load on the machine. */
export async function bestOf<T extends { ms: number }>(n: number, run: () => Promise<T>): Promise<T> {
  let best: T | undefined;
  for (let i = 0; i < n; i++) {
    const t = await run();
    if (best === undefined || t.ms < best.ms) best = t;
  }
  return best!;
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** The header row of a markdown table and the row under it. */
export function tableHead(cells: string[]): string {
  return `${row(cells)}\n${row(cells.map(() => '---'))}`;
}

/** A run's peak RSS for a table cell ("? MB" without /usr/bin/time). */
export function fmtRss(t: Timed): string {
  return `${t.peakRssMb?.toFixed(0) ?? '?'} MB`;
}

/** a / b as "1.23x" (`digits` decimals): how many times b's time fits in a's. */
export function times(a: number, b: number, digits = 2): string {
  return `${(a / b).toFixed(digits)}x`;
}

export interface FirstAndNoop {
  name: string;
  first: Timed;
  /** The same command again right after: nothing left to do. */
  noop: Timed;
}

/**
 * Runs a tool once, then `noops` no-op re-runs (nothing left to do) and keeps the median one: a no-op lasts
 * a few hundred milliseconds, where one sample moves by tens. Says the times on stderr.
 */
export async function firstAndNoop(
  name: string,
  run: (noop: boolean) => Promise<Timed>,
  noops = 1,
): Promise<FirstAndNoop> {
  const first = await run(false);
  const again: Timed[] = [];
  for (let i = 0; i < Math.max(1, noops); i++) again.push(await run(true));
  again.sort((a, b) => a.ms - b.ms);
  const noop = again[Math.floor(again.length / 2)]!;
  const spread =
    again.length > 1 ? ` (median of ${again.length}: ${again.map((t) => fmtMs(t.ms)).join(', ')})` : '';
  process.stderr.write(`${name}: ${fmtMs(first.ms)} first, ${fmtMs(noop.ms)} no-op${spread}\n`);
  return { name, first, noop };
}

/** Writes `bytes` random bytes to path (an 8 MiB random block repeated). */
export async function writeRandom(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  const chunk = randomBytes(Math.min(bytes, 8 * MiB));
  for (let left = bytes; left > 0; left -= chunk.length)
    await fh.write(chunk, 0, Math.min(left, chunk.length));
  await fh.close();
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The Ceph test cluster of scripts/test-env/ceph.sh, from the variables `ceph.sh env` prints. */
export interface CephTestEnv {
  /** RGW endpoint of the us-east-1 zone. */
  east: string;
  /** RGW endpoint of the us-west-2 zone. */
  west: string;
  publisher: Credentials;
  /** The read-only subscriber's keys, when set. */
  subscriber?: Credentials;
  /** ceph.conf for radosgw-admin, when set. */
  conf?: string;
}

export function cephTestEnv(): CephTestEnv {
  const e = process.env;
  if (!e.CLAAS_TEST_PUBLISHER_KEY || !e.CLAAS_TEST_PUBLISHER_SECRET) {
    throw new Error('run `eval "$(bash scripts/test-env/ceph.sh env)"` first');
  }
  return {
    east: e.CLAAS_TEST_S3_EAST ?? 'http://127.0.0.1:7480',
    west: e.CLAAS_TEST_S3_WEST ?? 'http://127.0.0.1:7481',
    publisher: { accessKeyId: e.CLAAS_TEST_PUBLISHER_KEY, secretAccessKey: e.CLAAS_TEST_PUBLISHER_SECRET },
    ...(e.CLAAS_TEST_SUBSCRIBER_KEY && e.CLAAS_TEST_SUBSCRIBER_SECRET
      ? {
          subscriber: {
            accessKeyId: e.CLAAS_TEST_SUBSCRIBER_KEY,
            secretAccessKey: e.CLAAS_TEST_SUBSCRIBER_SECRET,
          },
        }
      : {}),
    ...(e.CLAAS_TEST_CEPH_CONF === undefined ? {} : { conf: e.CLAAS_TEST_CEPH_CONF }),
  };
}

/**
 * The environment to run the claas CLI (and other S3 tools) in: the publisher's keys, no instance
 * metadata lookups, AWS_REGION when given, claas's cache and state inside work.
 */
export function publisherEnv(ceph: CephTestEnv, work: string, region?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: ceph.publisher.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ceph.publisher.secretAccessKey,
    ...(region === undefined ? {} : { AWS_REGION: region }),
    AWS_EC2_METADATA_DISABLED: 'true',
    CLAAS_CACHE_DIR: join(work, 'cache'),
    CLAAS_STATE_DIR: join(work, 'state'),
  };
}

/**
 * Deletes every object in a bucket (listed and deleted with `client`), then the bucket itself (with
 * `owner`); a bucket that cannot be deleted is left behind.
 */
export async function removeBucket(
  client: S3Client,
  bucket: string,
  owner: S3Client = client,
): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  await owner.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
}

/** rclone's environment for S3 remotes named `remotes` (RCLONE_CONFIG_<NAME>_*) on Ceph, over `env`. */
export function rcloneEnv(
  env: NodeJS.ProcessEnv,
  credentials: Credentials,
  remotes: Record<string, { endpoint: string; region: string }>,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  delete out.AWS_CA_BUNDLE; // rclone 1.60 fails with LoadCustomCABundleError when it is set (s3-facts.md)
  for (const [name, r] of Object.entries(remotes)) {
    Object.assign(out, {
      [`RCLONE_CONFIG_${name}_TYPE`]: 's3',
      [`RCLONE_CONFIG_${name}_PROVIDER`]: 'Ceph',
      [`RCLONE_CONFIG_${name}_ACCESS_KEY_ID`]: credentials.accessKeyId,
      [`RCLONE_CONFIG_${name}_SECRET_ACCESS_KEY`]: credentials.secretAccessKey,
      [`RCLONE_CONFIG_${name}_ENDPOINT`]: r.endpoint,
      [`RCLONE_CONFIG_${name}_REGION`]: r.region,
    });
  }
  return out;
}
