// Benchmark: publish one data set (two 1 GiB files, one 512 MiB file, 500 small files) to the same Ceph
// RGW with claas, `rclone copy`, `aws s3 sync` and `s3cmd sync`, in one run: wall time, peak RSS, and a
// no-op re-run of each. Needs the Ceph test env (bench/run.sh s3 starts it) and the Debian packages
// rclone, awscli, s3cmd, time.
// Usage: node dist/bench/s3-publish.js [scale]   (scale 1 = the data set above; 0.25 = a quarter)

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/store/s3-client.js';
import {
  cephTestEnv,
  cli,
  firstAndNoop,
  fmtMs,
  fmtRss,
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
const work = workDir('s3');
const ceph = cephTestEnv();
const { east: endpoint, publisher: credentials } = ceph;
const { accessKeyId: key, secretAccessKey: secret } = credentials;
const host = new URL(endpoint).host;

const client = createS3Client({ endpoint, region: 'us-east-1', credentials });

/**
 * The test cluster keeps objects in memory (memstore); give deleted data back before the next tool
 * writes its 2.5 GiB, instead of waiting for RGW's periodic garbage collection.
 */
function reclaimSpace(): void {
  if (ceph.conf === undefined) return;
  spawnSync('radosgw-admin', ['-c', ceph.conf, 'gc', 'process', '--include-all'], {
    stdio: 'ignore',
    timeout: 120_000,
  });
}

/**
 * The test cluster replicates every bucket to its second zone, in the same memory-backed OSD on the same two
 * cores: the benchmark's buckets are kept out of it (Ceph's own per-bucket switch), so every tool is timed
 * against RGW alone and the cluster holds each data set once.
 */
function holdReplication(bucket: string): void {
  if (ceph.conf === undefined) return;
  spawnSync('radosgw-admin', ['-c', ceph.conf, 'bucket', 'sync', 'disable', '--bucket', bucket], {
    stdio: 'ignore',
    timeout: 60_000,
  });
}

await rm(work, { recursive: true, force: true });
const src = join(work, 'source');
await mkdir(join(src, 'big-a'), { recursive: true });
await mkdir(join(src, 'big-b'), { recursive: true });
await mkdir(join(src, 'medium'), { recursive: true });
await mkdir(join(src, 'small'), { recursive: true });
const GiB = 1 << 30;
await writeRandom(join(src, 'big-a', 'disk-a.vmdk'), Math.round(GiB * scale));
await writeRandom(join(src, 'big-b', 'disk-b.vmdk'), Math.round(GiB * scale));
await writeRandom(join(src, 'medium', 'disk-m.vmdk'), Math.round((GiB / 2) * scale));
for (let i = 0; i < 500; i++)
  await writeFile(join(src, 'small', `file-${String(i).padStart(3, '0')}.txt`), randomBytes(2048 + i * 16));
const totalMiB = ((2.5 * GiB * scale) / (1 << 20) + (500 * 6) / 1024).toFixed(0);

const s3cmdCfg = join(work, 's3cmd.cfg');
await writeFile(
  s3cmdCfg,
  `[default]\naccess_key = ${key}\nsecret_key = ${secret}\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\nsignature_v2 = False\n`,
);
const baseEnv = publisherEnv(ceph, work, 'us-east-1');
const rcloneEnv = rcloneEnvFor(
  baseEnv,
  { accessKeyId: key, secretAccessKey: secret },
  { CEPH: { endpoint, region: 'us-east-1' } },
);

/** An empty hash cache folder for claas's first run; returns its name below the work folder. */
function freshCache(): string {
  rmSync(join(work, 'claas-cache'), { recursive: true, force: true });
  return 'claas-cache';
}

interface Tool {
  name: string;
  /** `noop`: the second run over the same data (claas then uses its hash cache, as a re-publish does). */
  run: (bucket: string, noop: boolean) => Promise<Timed>;
}

const tools: Tool[] = [
  {
    name: 'claas publish',
    run: (b, noop) =>
      mustRun(
        process.execPath,
        [
          cli,
          'publish',
          src,
          '--to',
          `s3://${b}/lib`,
          '--endpoint',
          endpoint,
          '--region',
          'us-east-1',
          '--quiet',
        ],
        // The first run starts with an empty hash cache (it hashes everything, and fills the cache the
        // no-op re-run then uses, as a re-publish does).
        { ...baseEnv, CLAAS_CACHE_DIR: join(work, noop ? 'claas-cache' : freshCache()) },
      ),
  },
  { name: 'rclone copy', run: (b) => mustRun('rclone', ['copy', src, `ceph:${b}/rclone`], rcloneEnv) },
  {
    name: 'aws s3 sync',
    run: (b) =>
      mustRun(
        '/usr/bin/aws',
        ['s3', 'sync', src, `s3://${b}/aws`, '--endpoint-url', endpoint, '--only-show-errors'],
        baseEnv,
      ),
  },
  {
    name: 's3cmd sync',
    run: (b) =>
      mustRun(
        's3cmd',
        ['-c', s3cmdCfg, '--no-progress', '-q', 'sync', `${src}/`, `s3://${b}/s3cmd/`],
        baseEnv,
      ),
  },
];

/** No-op re-runs per tool; the table shows the median. */
const NOOP_RUNS = 7;
const results: FirstAndNoop[] = [];
for (const tool of tools) {
  const bucket = `bench-${tool.name.split(' ')[0]}-${Date.now().toString(36)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  holdReplication(bucket);
  results.push(await firstAndNoop(tool.name, (noop) => tool.run(bucket, noop), NOOP_RUNS));
  await removeBucket(client, bucket);
  reclaimSpace();
}

const claas = results[0]!;
console.log(
  `\n### Publish ${totalMiB} MiB (2 x ${scale} GiB, 1 x ${scale / 2} GiB, 500 small files) to Ceph RGW on 127.0.0.1\n`,
);
console.log(
  tableHead([
    'tool',
    'first upload',
    'peak RSS',
    `no-op re-run (median of ${NOOP_RUNS})`,
    'claas speed-up (first)',
    'claas speed-up (no-op)',
  ]),
);
for (const r of results) {
  console.log(
    row([
      r.name,
      fmtMs(r.first.ms),
      fmtRss(r.first),
      fmtMs(r.noop.ms),
      r === claas ? '1.00' : times(r.first.ms, claas.first.ms),
      r === claas ? '1.00' : times(r.noop.ms, claas.noop.ms),
    ]),
  );
}
client.destroy();
await rm(work, { recursive: true, force: true });
