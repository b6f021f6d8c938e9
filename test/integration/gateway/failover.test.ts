// Failover on the Ceph cluster: the gateway prefers us-west-2 reached through an extra radosgw process of
// that zone, started by this test on its own port (the shared radosgw processes are never touched). When
// the test stops it, downloads continue from the origin (us-east-1) at once, /healthz and /metrics report
// the replica down; once it is back (and caught up) the gateway uses it again.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { HttpLibrarySource } from '../../../src/subscriber/reader.js';
import { syncLibrary } from '../../../src/subscriber/sync.js';
import { isolatedEnv } from '../../helpers/cli.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  openTestStore,
  putReadOnlyPolicy,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { newestCompleteVersion } from '../../../src/replicate/consistency.js';
import {
  accessLog,
  addTenant,
  publishToCeph,
  startCliGateway,
  startExtraWestRgw,
  waitUntil,
  writeConfig,
} from './cli-gateway.js';
import type { RunningGateway } from './cli-gateway.js';
import { http } from '../../helpers/http.js';

const skip =
  cephSkip() ||
  (cephEnv()?.cephConf === undefined
    ? 'CLAAS_TEST_CEPH_CONF is not set: cannot start an extra radosgw'
    : false);
let work = '';
let env: Record<string, string> = {};
let bucket = '';
let gw: RunningGateway | undefined;
let rgw: Awaited<ReturnType<typeof startExtraWestRgw>> | undefined;
let password = '';

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-gw-failover-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  bucket = uniqueBucketName('claas-gw-fo');
  await createBucket(bucket);
  await putReadOnlyPolicy(bucket, 'subscriber');
  const src = join(work, 'src');
  await writeSampleSource(src);
  const e = cephEnv()!;
  await publishToCeph(env, src, `s3://${bucket}/lib`);
  rgw = await startExtraWestRgw();
  await writeConfig(join(work, 'claas.yaml'), {
    library: 'templates',
    origin: {
      location: `s3://${bucket}/lib`,
      endpoint: e.endpoints['us-east-1'],
      region: 'us-east-1',
      profile: 'publisher',
    },
    replicas: [
      {
        name: 'west',
        location: `s3://${bucket}/lib`,
        endpoint: rgw.url,
        region: 'us-west-2',
        profile: 'subscriber',
      },
    ],
    prefer: ['west', 'origin'],
    gatewayProfile: 'subscriber',
    tenants: './tenants.json',
  });
  password = await addTenant(env, 'acme', ['templates'], [join(work, 'claas.yaml')]);
  const west = await openTestStore('subscriber', bucket, 'lib', { zone: 'us-west-2' });
  await waitUntil(
    async () => (await newestCompleteVersion(west))?.version === 1,
    120_000,
    'version 1 at us-west-2',
  );
  gw = await startCliGateway(
    ['--config', join(work, 'claas.yaml'), '--listen', '127.0.0.1:0', '--refresh', '500ms'],
    env,
  );
});

after(async () => {
  if (gw !== undefined) await gw.stop();
  if (rgw !== undefined) await rgw.stop();
  if (bucket) await deleteBucket(bucket);
  if (work) await rm(work, { recursive: true, force: true });
});

async function syncInto(dir: string) {
  const source = new HttpLibrarySource(`${gw!.base}/templates/lib.json`, { password });
  try {
    return await syncLibrary(source, join(work, dir));
  } finally {
    source.close?.();
  }
}

const fileEntries = (since: number) =>
  accessLog(gw!.logs)
    .slice(since)
    .filter((l) => l.status === 200 && /\/[0-9a-f]{64}\//.test(l.path));

test(
  'us-west-2 stopped: downloads continue from the origin; health and metrics say so; back when it returns',
  { skip, timeout: 300_000 },
  async () => {
    await waitUntil(
      async () => (await http(gw!.base, '/healthz')).status === 200,
      30_000,
      'a healthy gateway',
    );
    let mark = accessLog(gw!.logs).length;
    const first = await syncInto('sub-1');
    assert.equal(first.state.libVersion, '1');
    assert.ok(
      fileEntries(mark).every((l) => l.replica === 'west'),
      'served from the preferred replica',
    );

    await rgw!.stop();
    const t0 = Date.now();
    mark = accessLog(gw!.logs).length;
    const second = await syncInto('sub-2');
    const ms = Date.now() - t0;
    assert.equal(second.state.libVersion, '1');
    assert.deepEqual([...second.downloaded].sort(), ['README.txt', 'photon-mini', 'tools']);
    const after = fileEntries(mark);
    assert.ok(
      after.length >= 4 && after.every((l) => l.replica === 'origin'),
      JSON.stringify(after.map((l) => l.replica)),
    );
    assert.ok(ms < 30_000, `the sync during the outage took ${ms} ms`);

    const health = await http(gw!.base, '/healthz');
    assert.equal(health.status, 200, 'the library is still served');
    assert.deepEqual(JSON.parse(health.body.toString()), {
      status: 'degraded',
      libraries: { served: 1, total: 1 },
      replicas: { west: false, origin: true },
    });
    const m = (await http(gw!.base, '/metrics')).body.toString();
    assert.match(m, /^claas_gateway_replica_up\{library="templates",replica="west"\} 0$/m);
    assert.match(m, /^claas_gateway_served_version\{library="templates",replica="origin"\} 1$/m);
    assert.ok(gw!.logs.some((l) => l.msg === 'replica down' && l.replica === 'west'));

    // Back on the same port: the next probe (backing off, at most a minute) finds it and it is preferred again.
    rgw = await startExtraWestRgw(rgw!.port);
    await waitUntil(
      async () => JSON.parse((await http(gw!.base, '/healthz')).body.toString()).status === 'ok',
      90_000,
      'us-west-2 back in /healthz',
      500,
    );
    mark = accessLog(gw!.logs).length;
    await syncInto('sub-3');
    assert.ok(fileEntries(mark).every((l) => l.replica === 'west'));
  },
);
