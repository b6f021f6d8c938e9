// Benchmark: `claas mirror` against `rclone sync` copying one library from a bucket in the us-east-1 zone to a
// bucket in the us-west-2 zone of the Ceph test cluster (both stream the bytes through this machine), plus
// claas mirror within one zone (server-side CopyObject). Wall time, MiB/s, and a no-op re-run of each.
// The buckets' zone sync is switched off (radosgw-admin bucket sync disable) when CLAAS_TEST_CEPH_CONF is set,
// so the memstore OSD holds each copy once.
// Needs the Ceph test env (bench/run.sh s3 starts it) and rclone (Debian).
// Usage: node dist/bench/mirror-throughput.js [scale]   (scale 1: 2 x 256 MiB, 1 x 128 MiB, 300 small files)

import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/store/s3-client.js';
import {
  cephTestEnv,
  cli,
  firstAndNoop,
  fmtMs,
  fmtRss,
  MiB,
  mustRun,
  publisherEnv,
  rcloneEnv as rcloneEnvFor,
  removeBucket,
  row,
  tableHead,
  times,
  workDir,
  writeRandom,
} from './lib.js';
import type { FirstAndNoop, Timed } from './lib.js';

const scale = Number(process.argv[2] ?? 1);
const work = workDir('mirror');
const ceph = cephTestEnv();
const { east, west, publisher: credentials, conf: cephConf } = ceph;

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
const env = publisherEnv(ceph, work, 'us-east-1');
await mustRun(process.execPath, [cli, 'publish', src, '--config', configFile, '--quiet'], env);

const rcloneEnv = rcloneEnvFor(env, credentials, {
  EAST: { endpoint: east, region: 'us-east-1' },
  WEST: { endpoint: west, region: 'us-west-2' },
});

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

const results: FirstAndNoop[] = [];
for (const tool of tools) results.push(await firstAndNoop(tool.name, tool.run));

const rclone = results[1]!;
console.log(
  `\n### Mirror a ${totalMiB} MiB library (2 x ${256 * scale} MiB, 1 x ${128 * scale} MiB, 300 small files) between Ceph RGW zones on 127.0.0.1\n`,
);
console.log(
  tableHead([
    'tool',
    'first copy',
    'MiB/s',
    'peak RSS',
    'no-op re-run',
    'vs rclone (first)',
    'vs rclone (no-op)',
  ]),
);
for (const r of results) {
  console.log(
    row([
      r.name,
      fmtMs(r.first.ms),
      (Number(totalMiB) / (r.first.ms / 1000)).toFixed(0),
      fmtRss(r.first),
      fmtMs(r.noop.ms),
      r === rclone ? '1.00' : `${times(rclone.first.ms, r.first.ms)} faster`,
      r === rclone ? '1.00' : `${times(rclone.noop.ms, r.noop.ms)} faster`,
    ]),
  );
}
await removeBucket(clients.east!, originBucket);
await removeBucket(clients.west!, westBucket, clients.east!);
await removeBucket(clients.east!, sameZoneBucket);
await removeBucket(clients.west!, rcloneBucket, clients.east!);
for (const c of Object.values(clients)) c.destroy();
await rm(work, { recursive: true, force: true });
