// Benchmark: how long a tenant change takes to reach two gateways that keep tenants in the store
// (gateway.tenants: store), on the two-zone Ceph test cluster, set up as
// test/integration/gateway-tenants-store.test.ts does: gateway "east" reads the origin at us-east-1,
// gateway "west" prefers the replica at us-west-2 (the same bucket through the other zone's endpoint, which
// Ceph multisite fills); both read the control prefix with the read-only subscriber user.
// For each refresh period (the default 30 s, then --tenants-refresh 5s), two fresh gateways, then 5 times:
// a random pause within the refresh period (so that the change lands anywhere in it), `claas tenant rotate`;
// from the moment it returns, each gateway is polled every 100 ms until it accepts the new password (200)
// and refuses the old one (401). Prints markdown: median and max per gateway, and the documented bound
// (refresh + replication lag, docs/gateway.md).
// Needs the Ceph test env: eval "$(bash scripts/test-env/ceph.sh env)".
// Usage: node dist/bench/tenant-propagation.js

import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { mkdir, rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { writeSampleSource } from '../src/demo/samples.js';
import { newestCompleteVersion } from '../src/replicate/consistency.js';
import { suppressSdkNodeVersionWarning } from '../src/store/s3-client.js';
import { awsProfilesEnv } from '../test/helpers/aws-profiles.js';
import {
  cephEnv,
  createBucket,
  deleteBucket,
  makeS3Client,
  openTestStore,
  readOnlyPolicy,
  uniqueBucketName,
} from '../test/helpers/ceph.js';
import { isolatedEnv, runCli } from '../test/helpers/cli.js';
import { basic, http } from '../test/helpers/http.js';
import {
  addTenant,
  publishToCeph,
  startCliGateway,
  waitUntil,
  writeConfig,
} from '../test/integration/gateway/cli-gateway.js';
import type { RunningGateway } from '../test/integration/gateway/cli-gateway.js';
import { fmtMs, msSince, row, tableHead, workDir } from './lib.js';

suppressSdkNodeVersionWarning();

const RUNS = 5;
const POLL_MS = 100;
const WAIT_MS = 180_000;
const ceph = cephEnv();
if (ceph === undefined) throw new Error('run `eval "$(bash scripts/test-env/ceph.sh env)"` first');
const work = workDir('tenant-propagation');
const bucket = uniqueBucketName('bench-tprop');
const gws: Partial<Record<'east' | 'west', RunningGateway>> = {};

/** The subscriber reads the bucket (readOnlyPolicy) and writes its activity under claas-control/activity/. */
function bucketPolicy(): string {
  const policy = JSON.parse(readOnlyPolicy(bucket, 'subscriber')) as { Statement: object[] };
  policy.Statement.push({
    Sid: 'gateway-activity',
    Effect: 'Allow',
    Principal: { AWS: ['arn:aws:iam:::user/subscriber'] },
    Action: ['s3:PutObject'],
    Resource: [`arn:aws:s3:::${bucket}/claas-control/activity/*`],
  });
  return JSON.stringify(policy);
}

// Every poll from its own loopback address (127.0.1.1 ...): the expected 401s must not trip the gateway's
// per-client throttle.
let polls = 0;
async function answers(gw: RunningGateway, password: string): Promise<number> {
  polls = (polls + 1) % 60_000;
  const localAddress = `127.0.${1 + (polls >> 8)}.${polls & 255 || 1}`;
  const r = await http(gw.base, '/templates/lib.json', {
    headers: { Authorization: basic(password) },
    localAddress,
  });
  return r.status;
}

/** Milliseconds from t0 until the gateway accepts `now` and refuses `old` (polled every 100 ms). */
async function reached(
  gw: RunningGateway,
  now: string,
  old: string | undefined,
  t0: bigint,
): Promise<number> {
  await waitUntil(
    async () => (await answers(gw, now)) === 200 && (old === undefined || (await answers(gw, old)) === 401),
    WAIT_MS,
    `the tenant change at ${gw.base}`,
    POLL_MS,
  );
  return msSince(t0);
}

async function rotate(env: Record<string, string>, config: string): Promise<string> {
  const r = await runCli(['tenant', 'rotate', 'bench', '--config', config, '--json'], { env });
  if (r.code !== 0) throw new Error(`claas tenant rotate failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { password: string }).password;
}

async function stopGateways(): Promise<void> {
  for (const name of ['east', 'west'] as const) {
    await gws[name]?.stop();
    delete gws[name];
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);

await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });
const env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
const loadBefore = loadavg()[0]!;
const lines: string[] = [];
try {
  await createBucket(bucket);
  const owner = makeS3Client('publisher');
  try {
    await owner.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: bucketPolicy() }));
  } finally {
    owner.destroy();
  }
  const src = join(work, 'src');
  await writeSampleSource(src);
  await publishToCeph(env, src, `s3://${bucket}/lib`);
  const origin = {
    location: `s3://${bucket}/lib`,
    endpoint: ceph.endpoints['us-east-1'],
    region: 'us-east-1',
    profile: 'publisher',
  };
  const common = { library: 'templates', origin, gatewayProfile: 'subscriber', tenants: 'store' };
  const yaml = { east: join(work, 'east.yaml'), west: join(work, 'west.yaml') };
  await writeConfig(yaml.east, { ...common, prefer: ['origin'] });
  const replica = { ...origin, name: 'west', endpoint: ceph.endpoints['us-west-2'], region: 'us-west-2' };
  await writeConfig(yaml.west, {
    ...common,
    replicas: [{ ...replica, profile: 'subscriber' }],
    prefer: ['west'],
  });
  const west = await openTestStore('subscriber', bucket, 'lib', { zone: 'us-west-2' });
  try {
    await waitUntil(
      async () => (await newestCompleteVersion(west))?.version === 1,
      WAIT_MS,
      'version 1 at us-west-2',
    );
  } finally {
    west.close();
  }

  let password: string | undefined;
  lines.push(
    tableHead([
      'tenants refresh',
      'east median',
      'east max',
      'west median',
      'west max',
      'bound (docs/gateway.md)',
    ]),
  );
  for (const refresh of ['30s', '5s']) {
    const refreshFlag = refresh === '30s' ? [] : ['--tenants-refresh', refresh];
    for (const name of ['east', 'west'] as const)
      gws[name] = await startCliGateway(
        ['--config', yaml[name], '--listen', '127.0.0.1:0', '--no-access-log', ...refreshFlag],
        env,
      );
    const t0 = process.hrtime.bigint();
    if (password === undefined) password = await addTenant(env, 'bench', ['templates'], [yaml.east]);
    for (const gw of Object.values(gws)) await reached(gw, password, undefined, t0);
    const times: Record<'east' | 'west', number[]> = { east: [], west: [] };
    for (let i = 0; i < RUNS; i++) {
      await new Promise((r) => setTimeout(r, Math.random() * Number.parseInt(refresh) * 1000));
      const old = password;
      password = await rotate(env, yaml.east);
      const t1 = process.hrtime.bigint();
      const [e, w] = await Promise.all([
        reached(gws.east!, password, old, t1),
        reached(gws.west!, password, old, t1),
      ]);
      times.east.push(e);
      times.west.push(w);
      process.stderr.write(`refresh ${refresh}, run ${i + 1}: east ${fmtMs(e)}, west ${fmtMs(w)}\n`);
    }
    await stopGateways();
    lines.push(
      row([
        refresh === '30s' ? '30 s (default)' : refresh.replace('s', ' s'),
        fmtMs(median(times.east)),
        fmtMs(max(times.east)),
        fmtMs(median(times.west)),
        fmtMs(max(times.west)),
        `${refresh.replace('s', ' s')} + replication lag`,
      ]),
    );
  }
} finally {
  await stopGateways();
  await deleteBucket(bucket);
  await rm(work, { recursive: true, force: true });
}
const loadAfter = loadavg()[0]!;
console.log(
  [
    `## Tenant changes reaching two gateways (Ceph RGW us-east-1 and us-west-2 on this machine, ${RUNS} rotations ` +
      `per refresh period, ${cpus().length} cores; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after)`,
    '',
    ...lines,
    '',
  ].join('\n'),
);
