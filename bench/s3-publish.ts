// Benchmark: publish one data set (two 1 GiB files, one 512 MiB file, 500 small files) to the same Ceph
// RGW with claas, `rclone copy`, `aws s3 sync` and `s3cmd sync`, in one run: wall time, peak RSS, and a
// no-op re-run of each. Needs the Ceph test env (bench/run.sh s3 starts it) and the Debian packages
// rclone, awscli, s3cmd, time.
// Usage: node dist/bench/s3-publish.js [scale]   (scale 1 = the data set above; 0.25 = a quarter)

import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import {
  S3Client,
  CreateBucketCommand,
  ListObjectsV2Command,
  DeleteObjectsCommand,
  DeleteBucketCommand,
} from '@aws-sdk/client-s3';
import { mustRun, fmtMs, row, type Timed } from './lib.js';

const scale = Number(process.argv[2] ?? 1);
const work = resolve(process.env.CLAAS_BENCH_DIR ?? '.bench-work', 's3');
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const endpoint = process.env.CLAAS_TEST_S3_EAST ?? 'http://127.0.0.1:7480';
const key = process.env.CLAAS_TEST_PUBLISHER_KEY;
const secret = process.env.CLAAS_TEST_PUBLISHER_SECRET;
if (!key || !secret) throw new Error('run `eval "$(bash scripts/test-env/ceph.sh env)"` first');
const host = new URL(endpoint).host;

const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: key, secretAccessKey: secret },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

async function writeRandom(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  const chunk = randomBytes(Math.min(bytes, 8 << 20));
  for (let left = bytes; left > 0; left -= chunk.length)
    await fh.write(chunk, 0, Math.min(left, chunk.length));
  await fh.close();
}

async function emptyBucket(bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * The test cluster keeps objects in memory (memstore); give deleted data back before the next tool
 * writes its 2.5 GiB, instead of waiting for RGW's periodic garbage collection.
 */
function reclaimSpace(): void {
  const conf = process.env.CLAAS_TEST_CEPH_CONF;
  if (conf === undefined) return;
  spawnSync('radosgw-admin', ['-c', conf, 'gc', 'process', '--include-all'], {
    stdio: 'ignore',
    timeout: 120_000,
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
const baseEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: key,
  AWS_SECRET_ACCESS_KEY: secret,
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const noCa = { ...baseEnv } as NodeJS.ProcessEnv;
delete noCa.AWS_CA_BUNDLE; // rclone 1.60 fails with LoadCustomCABundleError when it is set (s3-facts.md)
const rcloneEnv = {
  ...noCa,
  RCLONE_CONFIG_CEPH_TYPE: 's3',
  RCLONE_CONFIG_CEPH_PROVIDER: 'Ceph',
  RCLONE_CONFIG_CEPH_ACCESS_KEY_ID: key,
  RCLONE_CONFIG_CEPH_SECRET_ACCESS_KEY: secret,
  RCLONE_CONFIG_CEPH_ENDPOINT: endpoint,
};

interface Tool {
  name: string;
  run: (bucket: string) => Promise<Timed>;
}

const tools: Tool[] = [
  {
    name: 'claas publish',
    run: (b) =>
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
          '--no-cache',
        ],
        {
          ...baseEnv,
          CLAAS_CACHE_DIR: join(work, 'cache'),
          CLAAS_STATE_DIR: join(work, 'state'),
        },
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

const results: { name: string; first: Timed; noop: Timed }[] = [];
for (const tool of tools) {
  const bucket = `bench-${tool.name.split(' ')[0]}-${Date.now().toString(36)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  // claas's no-op uses its hash cache like a real re-publish; the first run hashed with --no-cache.
  const first = await tool.run(bucket);
  const noop = await tool.run(bucket);
  results.push({ name: tool.name, first, noop });
  await emptyBucket(bucket);
  reclaimSpace();
  process.stderr.write(`${tool.name}: ${fmtMs(first.ms)} first, ${fmtMs(noop.ms)} no-op\n`);
}

const claas = results[0]!;
console.log(
  `\n### Publish ${totalMiB} MiB (2 x ${scale} GiB, 1 x ${scale / 2} GiB, 500 small files) to Ceph RGW on 127.0.0.1\n`,
);
console.log(
  row([
    'tool',
    'first upload',
    'peak RSS',
    'no-op re-run',
    'claas speed-up (first)',
    'claas speed-up (no-op)',
  ]),
);
console.log(row(['---', '---', '---', '---', '---', '---']));
for (const r of results) {
  console.log(
    row([
      r.name,
      fmtMs(r.first.ms),
      `${r.first.peakRssMb?.toFixed(0) ?? '?'} MB`,
      fmtMs(r.noop.ms),
      r === claas ? '1.00' : `${(r.first.ms / claas.first.ms).toFixed(2)}x`,
      r === claas ? '1.00' : `${(r.noop.ms / claas.noop.ms).toFixed(2)}x`,
    ]),
  );
}
client.destroy();
await rm(work, { recursive: true, force: true });
