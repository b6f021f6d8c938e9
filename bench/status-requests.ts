// Benchmark: `claas status` of a 10,000-file library (origin on Ceph RGW us-east-1 and its us-west-2 zone
// replica) against the naive check a script would do: read the version's snapshot, then HEAD every object it
// references at every store (16 in flight). Requests made and wall time, and their ratios.
// Needs the Ceph test env (bench/run.sh s3 starts it).
// Usage: node dist/bench/status-requests.js [files]   (default 10000: 100 folders x 100 files)

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/store/s3-client.js';
import { openS3Store } from '../src/store/s3.js';
import { parseConfig } from '../src/config/load.js';
import { checkStatus } from '../src/replicate/status.js';
import { referencedKeys } from '../src/replicate/consistency.js';
import { LIB_KEY, snapshotKey } from '../src/publish/layout.js';
import { parseLibJson, parseSnapshot } from '../src/vcsp/schema.js';
import { mapLimited } from '../src/util/pool.js';
import {
  bestOf,
  cephTestEnv,
  cli,
  fmtMs,
  msSince,
  mustRun,
  publisherEnv,
  removeBucket,
  row,
  tableHead,
  times,
  workDir,
} from './lib.js';

const files = Number(process.argv[2] ?? 10_000);
const work = workDir('status');
const ceph = cephTestEnv();
const { east, west, publisher: credentials } = ceph;

await rm(work, { recursive: true, force: true });
const src = join(work, 'source');
const perFolder = 100;
for (let i = 0; i < files; i++) {
  const dir = join(src, `folder-${String(Math.floor(i / perFolder)).padStart(3, '0')}`);
  if (i % perFolder === 0) await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `file-${String(i).padStart(5, '0')}.txt`), `file ${i}\n`);
}
const bucket = `bench-status-${Date.now().toString(36)}`;
const admin = createS3Client({ endpoint: east, region: 'us-east-1', credentials });
await admin.send(new CreateBucketCommand({ Bucket: bucket }));
const yaml = `library: bench
origin:
  location: s3://${bucket}/lib
  endpoint: ${east}
  region: us-east-1
replicas:
  - name: west
    location: s3://${bucket}/lib
    endpoint: ${west}
    region: us-west-2
    mode: native
`;
const configFile = join(work, 'claas.yaml');
await writeFile(configFile, yaml);
const env = publisherEnv(ceph, work);
const pub = await mustRun(process.execPath, [cli, 'publish', src, '--config', configFile, '--quiet'], env);
process.stderr.write(`published ${files} files in ${fmtMs(pub.ms)}\n`);

// Wait until the us-west-2 replica has caught up (status exit 0), so both checks see the same library.
for (let i = 0; ; i++) {
  const s = await mustRun(process.execPath, [cli, 'status', '--config', configFile, '--quiet'], env).catch(
    () => undefined,
  );
  if (s !== undefined) break;
  if (i > 600) throw new Error('the us-west-2 replica did not catch up');
  await new Promise((r) => setTimeout(r, 1000));
}

const config = parseConfig(yaml, configFile);
const stores = [
  { name: 'origin', endpoint: east, region: 'us-east-1' },
  { name: 'west', endpoint: west, region: 'us-west-2' },
];

/** The naive check: GET lib.json and the snapshot, then HEAD every referenced key, 16 in flight. */
async function naive(): Promise<{ ms: number; requests: number; objects: number }> {
  const t0 = process.hrtime.bigint();
  let requests = 0;
  let objects = 0;
  for (const s of stores) {
    const store = await openS3Store(
      { kind: 's3', bucket, prefix: 'lib', endpoint: s.endpoint, region: s.region },
      { credentials },
    );
    const client: S3Client = createS3Client({ endpoint: s.endpoint, region: s.region, credentials });
    const lib = parseLibJson((await store.readBytes(LIB_KEY))!.toString('utf8'), 'lib.json');
    const snap = parseSnapshot(
      (await store.readBytes(snapshotKey(lib.version)))!.toString('utf8'),
      'snapshot',
    );
    requests += 2;
    const keys = referencedKeys(snap);
    await mapLimited(keys, 16, async (k) => {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `lib/${k.key}` }));
      if (k.size !== undefined && head.ContentLength !== k.size) throw new Error(`size of ${k.key}`);
    });
    requests += keys.length;
    objects += keys.length;
    client.destroy();
    store.close();
  }
  return { ms: msSince(t0), requests, objects };
}

async function inProcess(): Promise<{ ms: number; requests: number; exitCode: number }> {
  const t0 = process.hrtime.bigint();
  const report = await checkStatus(config, {
    openOrigin: () =>
      openS3Store(
        { kind: 's3', bucket, prefix: 'lib', endpoint: east, region: 'us-east-1' },
        { credentials },
      ),
    openReplica: () =>
      openS3Store(
        { kind: 's3', bucket, prefix: 'lib', endpoint: west, region: 'us-west-2' },
        { credentials },
      ),
  });
  return { ms: msSince(t0), requests: report.requests, exitCode: report.exitCode };
}

const cliRun = await bestOf(3, async () => {
  const t = await mustRun(process.execPath, [cli, 'status', '--config', configFile, '--json'], env);
  return { ms: t.ms, requests: (JSON.parse(t.stdout) as { requests: number }).requests };
});
const lib = await bestOf(3, inProcess);
const head = await bestOf(3, naive);

console.log(
  `\n### claas status of a ${files.toLocaleString('en')}-file library: origin + its us-west-2 zone replica (Ceph RGW on 127.0.0.1)\n`,
);
console.log(tableHead(['check', 'requests', 'wall time', 'requests vs naive', 'time vs naive']));
console.log(
  row([
    `naive: GET snapshot + HEAD each of ${head.objects.toLocaleString('en')} objects (16 in flight)`,
    head.requests,
    fmtMs(head.ms),
    '1',
    '1',
  ]),
);
console.log(
  row([
    'claas status (in process: LIST pages)',
    lib.requests,
    fmtMs(lib.ms),
    `1/${(head.requests / lib.requests).toFixed(0)}`,
    `${times(head.ms, lib.ms, 1)} faster`,
  ]),
);
console.log(
  row([
    'claas status --json (CLI, incl. node start)',
    cliRun.requests,
    fmtMs(cliRun.ms),
    `1/${(head.requests / cliRun.requests).toFixed(0)}`,
    `${times(head.ms, cliRun.ms, 1)} faster`,
  ]),
);
await removeBucket(admin, bucket);
admin.destroy();
await rm(work, { recursive: true, force: true });
