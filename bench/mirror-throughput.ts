// Benchmark: `claas mirror` against `rclone sync` copying one library from a bucket in the us-east-1 zone to a
// bucket in the us-west-2 zone of the Ceph test cluster (both stream the bytes through this machine), plus
// claas mirror within one zone (server-side CopyObject). Wall time, MiB/s, and a no-op re-run of each.
// The buckets' zone sync is switched off (radosgw-admin bucket sync disable) when CLAAS_TEST_CEPH_CONF is set,
// so the memstore OSD holds each copy once.
// Needs the Ceph test env (bench/run.sh s3 starts it) and rclone (Debian).
// Usage: node dist/bench/mirror-throughput.js [scale]   (scale 1: 2 x 256 MiB, 1 x 128 MiB, 300 small files)

import { execFile } from 'node:child_process';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/store/s3-client.js';
import { fmtMs, mustRun, row } from './lib.js';
import type { Timed } from './lib.js';

const scale = Number(process.argv[2] ?? 1);
const work = resolve(process.env.CLAAS_BENCH_DIR ?? '.bench-work', 'mirror');
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const east = process.env.CLAAS_TEST_S3_EAST ?? 'http://127.0.0.1:7480';
const west = process.env.CLAAS_TEST_S3_WEST ?? 'http://127.0.0.1:7481';
const key = process.env.CLAAS_TEST_PUBLISHER_KEY;
const secret = process.env.CLAAS_TEST_PUBLISHER_SECRET;
const cephConf = process.env.CLAAS_TEST_CEPH_CONF;
if (!key || !secret) throw new Error('run `eval "$(bash scripts/test-env/ceph.sh env)"` first');
const credentials = { accessKeyId: key, secretAccessKey: secret };
const MiB = 1 << 20;

async function writeRandom(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  const chunk = randomBytes(Math.min(bytes, 8 * MiB));
  for (let left = bytes; left > 0; left -= chunk.length)
    await fh.write(chunk, 0, Math.min(left, chunk.length));
  await fh.close();
}

const clients: Record<string, S3Client> = {
  east: createS3Client({ endpoint: east, region: 'us-east-1', credentials }),
  west: createS3Client({ endpoint: west, region: 'us-west-2', credentials }),
};

async function newBucket(name: string): Promise<string> {
  const bucket = `${name}-${Date.now().toString(36)}`;
  await clients.east!.send(new CreateBucketCommand({ Bucket: bucket }));
  if (cephConf !== undefined) {
    await promisify(execFile)('radosgw-admin', [
      '-c',
      cephConf,
      'bucket',
      'sync',
      'disable',
      `--bucket=${bucket}`,
    ]);
  }
  return bucket;
}

async function emptyBucket(bucket: string, client: S3Client): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  await clients.east!.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
}

await rm(work, { recursive: true, force: true });
const src = join(work, 'source');
for (const [item, file, bytes] of [
  ['big-a', 'disk-a.vmdk', 256 * MiB * scale],
  ['big-b', 'disk-b.vmdk', 256 * MiB * scale],
  ['medium', 'disk-m.vmdk', 128 * MiB * scale],
] as const) {
  await mkdir(join(src, item), { recursive: true });
  await writeRandom(join(src, item, file), Math.round(bytes));
}
await mkdir(join(src, 'small'), { recursive: true });
for (let i = 0; i < 300; i++)
  await writeFile(join(src, 'small', `file-${String(i).padStart(3, '0')}.txt`), randomBytes(4096 + i * 16));
const totalMiB = (640 * scale + (300 * 6.4) / 1024).toFixed(0);

const originBucket = await newBucket('bench-mirror-origin');
const westBucket = await newBucket('bench-mirror-west');
const sameZoneBucket = await newBucket('bench-mirror-east');
const rcloneBucket = await newBucket('bench-mirror-rclone');

const yaml = `library: bench
origin:
  location: s3://${originBucket}/lib
  endpoint: ${east}
  region: us-east-1
replicas:
  - name: west
    location: s3://${westBucket}/lib
    endpoint: ${west}
    region: us-west-2
    mode: mirror
  - name: east-copy
    location: s3://${sameZoneBucket}/lib
    endpoint: ${east}
    region: us-east-1
    mode: mirror
`;
const configFile = join(work, 'claas.yaml');
await writeFile(configFile, yaml);
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: key,
  AWS_SECRET_ACCESS_KEY: secret,
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  CLAAS_CACHE_DIR: join(work, 'cache'),
  CLAAS_STATE_DIR: join(work, 'state'),
};
await mustRun(process.execPath, [cli, 'publish', src, '--config', configFile, '--quiet'], env);

const noCa = { ...env } as NodeJS.ProcessEnv;
delete noCa.AWS_CA_BUNDLE; // rclone 1.60 fails with LoadCustomCABundleError when it is set (s3-facts.md)
const remote = (name: string, endpoint: string, region: string) => ({
  [`RCLONE_CONFIG_${name}_TYPE`]: 's3',
  [`RCLONE_CONFIG_${name}_PROVIDER`]: 'Ceph',
  [`RCLONE_CONFIG_${name}_ACCESS_KEY_ID`]: key,
  [`RCLONE_CONFIG_${name}_SECRET_ACCESS_KEY`]: secret,
  [`RCLONE_CONFIG_${name}_ENDPOINT`]: endpoint,
  [`RCLONE_CONFIG_${name}_REGION`]: region,
});
const rcloneEnv = { ...noCa, ...remote('EAST', east, 'us-east-1'), ...remote('WEST', west, 'us-west-2') };

interface Tool {
  name: string;
  run: () => Promise<Timed>;
}
const tools: Tool[] = [
  {
    name: 'claas mirror, east -> west zone (streamed)',
    run: () =>
      mustRun(process.execPath, [cli, 'mirror', '--config', configFile, '--replica', 'west', '--quiet'], env),
  },
  {
    name: 'rclone sync, east -> west zone',
    run: () => mustRun('rclone', ['sync', `east:${originBucket}/lib`, `west:${rcloneBucket}/lib`], rcloneEnv),
  },
  {
    name: 'claas mirror, within the east zone (server-side copy)',
    run: () =>
      mustRun(
        process.execPath,
        [cli, 'mirror', '--config', configFile, '--replica', 'east-copy', '--quiet'],
        env,
      ),
  },
];

const results: { name: string; first: Timed; noop: Timed }[] = [];
for (const tool of tools) {
  const first = await tool.run();
  const noop = await tool.run();
  results.push({ name: tool.name, first, noop });
  process.stderr.write(`${tool.name}: ${fmtMs(first.ms)} first, ${fmtMs(noop.ms)} no-op\n`);
}

const rclone = results[1]!;
console.log(
  `\n### Mirror a ${totalMiB} MiB library (2 x ${256 * scale} MiB, 1 x ${128 * scale} MiB, 300 small files) between Ceph RGW zones on 127.0.0.1\n`,
);
console.log(
  row(['tool', 'first copy', 'MiB/s', 'peak RSS', 'no-op re-run', 'vs rclone (first)', 'vs rclone (no-op)']),
);
console.log(row(['---', '---', '---', '---', '---', '---', '---']));
for (const r of results) {
  console.log(
    row([
      r.name,
      fmtMs(r.first.ms),
      (Number(totalMiB) / (r.first.ms / 1000)).toFixed(0),
      `${r.first.peakRssMb?.toFixed(0) ?? '?'} MB`,
      fmtMs(r.noop.ms),
      r === rclone ? '1.00' : `${(rclone.first.ms / r.first.ms).toFixed(2)}x faster`,
      r === rclone ? '1.00' : `${(rclone.noop.ms / r.noop.ms).toFixed(2)}x faster`,
    ]),
  );
}
await emptyBucket(originBucket, clients.east!);
await emptyBucket(westBucket, clients.west!);
await emptyBucket(sameZoneBucket, clients.east!);
await emptyBucket(rcloneBucket, clients.west!);
for (const c of Object.values(clients)) c.destroy();
await rm(work, { recursive: true, force: true });
