// Many gateways, one set of tenants (gateway.tenants: store), on the two-zone Ceph cluster, run as users
// run it (`claas gateway`, `claas tenant` as processes, AWS profiles):
//  - gateway "east" reads from us-east-1 (the origin); gateway "west" prefers the replica at us-west-2 (the
//    same bucket through the other zone's endpoint, which Ceph multisite fills), reached through a proxy
//    this test starts, so that it can make the west endpoint fail or disappear without touching the shared
//    Ceph daemons. Both run as the subscriber user, granted by exactly the bucket policies that
//    `claas access policy --role subscriber --rgw-user subscriber` prints for their configurations: read the
//    library, read tenants.json and activity/, write activity/ only — nothing else under claas-control/.
//  - one tenant added once with `claas tenant add --config`: both gateways accept its password; after
//    `rotate` both refuse the old one and accept the new one; after `remove` both refuse it (bounded polls:
//    within the refresh period plus replication); `claas tenant import` moves a local tenants file in,
//    refused a second time without --replace, printing no hash;
//  - counters of both gateways summed in /api/tenants (per gateway too);
//  - the west endpoint failing for the control prefix, then gone: the west gateway keeps its last view
//    (the tenant's password still passes, a wrong one does not) and reports it stale in /healthz and /metrics.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleSource } from '../../src/demo/samples.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  makeS3Client,
  openTestStore,
  uniqueBucketName,
} from '../helpers/ceph.js';
import { awsProfilesEnv } from '../helpers/aws-profiles.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { basic, http } from '../helpers/http.js';
import { addTenant, publishToCeph, startCliGateway, waitUntil, writeConfig } from './gateway/cli-gateway.js';
import type { RunningGateway } from './gateway/cli-gateway.js';

const skip = cephSkip();
const ADMIN = 'admin-password-for-the-test';
const WAIT_MS = 90_000;
let work = '';
let env: Record<string, string> = {};
let bucket = '';
let proxy: FaultProxy | undefined;
/** 'control-down': the west endpoint answers 500 for the control prefix only. */
let westMode: 'forward' | 'control-down' = 'forward';
const gws: { east?: RunningGateway; west?: RunningGateway } = {};
const eastYaml = () => join(work, 'east.yaml');

// Each request from its own loopback address: the polls' expected 401s must not trip the per-client throttle.
let nextAddress = 0;
function localAddress(): string {
  nextAddress = (nextAddress % 250) + 1;
  return `127.0.${1 + Math.floor(nextAddress / 250)}.${(nextAddress % 250) + 2}`;
}

async function status(gw: RunningGateway, password: string): Promise<number> {
  const r = await http(gw.base, '/templates/lib.json', {
    headers: { Authorization: basic(password) },
    localAddress: localAddress(),
  });
  return r.status;
}

async function json<T>(gw: RunningGateway, path: string): Promise<{ status: number; doc: T }> {
  const r = await http(gw.base, path, { headers: { Authorization: basic(ADMIN, 'admin') } });
  return { status: r.status, doc: JSON.parse(r.body.toString()) as T };
}

/** Polls both gateways until each answers every password with the status wanted. */
async function bothAnswer(want: Record<string, number>, what: string): Promise<void> {
  for (const [name, gw] of Object.entries(gws)) {
    await waitUntil(
      async () => {
        for (const [password, code] of Object.entries(want))
          if ((await status(gw, password)) !== code) return false;
        return true;
      },
      WAIT_MS,
      `${what} at gateway ${name}`,
      1_000,
    );
  }
}

async function tenantCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(['tenant', ...args], { env });
}

type Statement = { Sid: string } & Record<string, unknown>;

/**
 * The bucket policies `claas access policy --role subscriber --rgw-user subscriber` prints for these
 * configurations, as one bucket policy (every store is this bucket): identical statements once, Sids unique.
 */
async function generatedBucketPolicy(yamls: string[]): Promise<string> {
  const statements = new Map<string, Statement>();
  for (const yaml of yamls) {
    const r = await runCli(
      ['access', 'policy', '--role', 'subscriber', '--config', yaml, '--rgw-user', 'subscriber', '--json'],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      policies: { kind: string; document: { Statement: Statement[] } }[];
    };
    for (const p of doc.policies.filter((x) => x.kind === 'bucket')) {
      for (const st of p.document.Statement) {
        const { Sid, ...rest } = st;
        const key = JSON.stringify(rest);
        if (!statements.has(key)) statements.set(key, { Sid: `${Sid}${statements.size}`, ...rest });
      }
    }
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: [...statements.values()] });
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-gw-tstore-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  bucket = uniqueBucketName('claas-tstore');
  await createBucket(bucket);
  const src = join(work, 'src');
  await writeSampleSource(src);
  await publishToCeph(env, src, `s3://${bucket}/lib`);
  const e = cephEnv()!;
  proxy = await startFaultProxy({
    target: e.endpoints['us-west-2'],
    schedule: (_n, req) =>
      westMode === 'control-down' && (req.url ?? '').includes('/claas-control/')
        ? 'internal-error'
        : undefined,
  });
  await writeFile(join(work, 'admin.pw'), `${ADMIN}\n`, { mode: 0o600 });
  const origin = {
    location: `s3://${bucket}/lib`,
    endpoint: e.endpoints['us-east-1'],
    region: 'us-east-1',
    profile: 'publisher',
  };
  await writeConfig(eastYaml(), {
    library: 'templates',
    origin,
    prefer: ['origin'],
    gatewayProfile: 'subscriber',
    tenants: 'store',
    adminPasswordFile: join(work, 'admin.pw'),
  });
  await writeConfig(join(work, 'west.yaml'), {
    library: 'templates',
    origin,
    replicas: [
      {
        name: 'west',
        location: `s3://${bucket}/lib`,
        endpoint: proxy.url,
        region: 'us-west-2',
        profile: 'subscriber',
      },
    ],
    prefer: ['west'],
    gatewayProfile: 'subscriber',
    tenants: 'store',
    adminPasswordFile: join(work, 'admin.pw'),
  });
  const policy = await generatedBucketPolicy([eastYaml(), join(work, 'west.yaml')]);
  assert.ok(!policy.includes('"arn:aws:s3:::' + bucket + '/*"'), 'not the whole bucket');
  const client = makeS3Client('publisher');
  try {
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
  } finally {
    client.destroy();
  }
  // The library complete at us-west-2 before the west gateway starts (Ceph replicates in seconds).
  const west = await openTestStore('subscriber', bucket, 'lib', { zone: 'us-west-2' });
  const { newestCompleteVersion } = await import('../../src/replicate/consistency.js');
  try {
    await waitUntil(
      async () => (await newestCompleteVersion(west))?.version === 1,
      120_000,
      'version 1 at us-west-2',
    );
  } finally {
    west.close();
  }
  const args = (yaml: string) => [
    '--config',
    yaml,
    '--listen',
    '127.0.0.1:0',
    '--refresh',
    '500ms',
    '--tenants-refresh',
    '1s',
  ];
  gws.east = await startCliGateway(args(eastYaml()), env);
  gws.west = await startCliGateway(args(join(work, 'west.yaml')), env);
});

after(async () => {
  for (const gw of Object.values(gws)) await gw?.stop();
  await proxy?.close();
  if (bucket) await deleteBucket(bucket);
  if (work) await rm(work, { recursive: true, force: true });
});

let legacy = '';

test(
  'both gateways start with no tenants in the store yet, and say where tenants come from',
  { skip },
  async () => {
    for (const gw of Object.values(gws)) {
      const h = await json<{ tenants: { ready: boolean; source: string | null; tenants: number } }>(
        gw!,
        '/healthz',
      );
      assert.equal(h.status, 200);
      assert.deepEqual([h.doc.tenants.ready, h.doc.tenants.source, h.doc.tenants.tenants], [true, null, 0]);
    }
  },
);

test(
  'one tenant added once: both accept it; rotate: both refuse the old and accept the new; remove: both refuse',
  { skip },
  async () => {
    const first = await addTenant(env, 'acme', ['templates'], [eastYaml()]);
    await bothAnswer({ [first]: 200 }, 'the added tenant accepted');
    const r = await tenantCli(['rotate', 'acme', '--config', eastYaml(), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const second = (JSON.parse(r.stdout) as { password: string }).password;
    await bothAnswer({ [first]: 401, [second]: 200 }, 'the old password refused and the new one accepted');
    const listed = await tenantCli(['list', '--config', eastYaml(), '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const doc = JSON.parse(listed.stdout) as {
      tenantsFile: string;
      tenants: { name: string; rotated?: string }[];
    };
    assert.deepEqual(
      doc.tenants.map((t) => t.name),
      ['acme'],
    );
    assert.ok(doc.tenants[0]!.rotated);
    assert.match(doc.tenantsFile, new RegExp(`${bucket}.*claas-control.*tenants\\.json`));
    const removed = await tenantCli(['remove', 'acme', '--config', eastYaml()]);
    assert.equal(removed.code, 0, removed.stderr);
    await bothAnswer({ [first]: 401, [second]: 401 }, 'the removed tenant refused');
    // The tenants object is in the control prefix beside the library, never inside it.
    const ctl = await openTestStore('publisher', bucket, '');
    try {
      const keys: string[] = [];
      for await (const o of ctl.list('')) if (!o.key.startsWith('lib/')) keys.push(o.key);
      assert.ok(keys.includes('claas-control/tenants.json'), keys.join(', '));
      assert.ok(
        keys.every((k) => k.startsWith('claas-control/')),
        keys.join(', '),
      );
    } finally {
      ctl.close();
    }
  },
);

test(
  'import: a local tenants file moves into the store; refused a second time without --replace; no hash printed',
  { skip },
  async () => {
    const file = join(work, 'old-tenants.json');
    const made = await tenantCli(['add', 'legacy', '--library', 'templates', '--tenants', file, '--json']);
    assert.equal(made.code, 0, made.stderr);
    legacy = (JSON.parse(made.stdout) as { password: string }).password;
    const r = await tenantCli(['import', file, '--config', eastYaml()]);
    assert.equal(r.code, 0, r.stderr);
    const stored = JSON.parse(await readFile(file, 'utf8')) as {
      tenants: { scrypt: { salt: string; hash: string } }[];
    };
    for (const secret of [stored.tenants[0]!.scrypt.salt, stored.tenants[0]!.scrypt.hash]) {
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'no hash or salt printed');
    }
    const again = await tenantCli(['import', file, '--config', eastYaml()]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already has 1 tenant/);
    await bothAnswer({ [legacy]: 200 }, 'the imported tenant accepted');
  },
);

test(
  'changes made at the same time from two processes are all kept (the control prefix lock)',
  { skip },
  async () => {
    const runs = await Promise.all(
      ['p1', 'p2', 'p3'].map((n) =>
        tenantCli(['add', n, '--library', 'templates', '--config', eastYaml(), '--json']),
      ),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const listed = await tenantCli(['list', '--config', eastYaml(), '--json']);
    const names = (JSON.parse(listed.stdout) as { tenants: { name: string }[] }).tenants
      .map((t) => t.name)
      .sort();
    assert.deepEqual(names, ['legacy', 'p1', 'p2', 'p3']);
    for (const n of ['p1', 'p2', 'p3'])
      assert.equal((await tenantCli(['remove', n, '--config', eastYaml()])).code, 0);
  },
);

test('counters from both gateways are summed in /api/tenants, and shown per gateway', { skip }, async () => {
  for (let i = 0; i < 3; i++) assert.equal(await status(gws.east!, legacy), 200);
  for (let i = 0; i < 2; i++) assert.equal(await status(gws.west!, legacy), 200);
  type Doc = {
    gateways: { id: string; self: boolean }[];
    tenants: {
      name: string;
      requests: number;
      behind: boolean;
      fetched: { library: string; version: number }[];
      gateways: { id: string; requests: number }[];
    }[];
  };
  const own = async (gw: RunningGateway) => {
    const d = (await json<Doc>(gw, '/api/tenants')).doc;
    const selfId = d.gateways.find((g) => g.self)!.id;
    return {
      selfId,
      requests: d.tenants.find((t) => t.name === 'legacy')!.gateways.find((g) => g.id === selfId)!.requests,
    };
  };
  const east = await own(gws.east!);
  const west = await own(gws.west!);
  assert.notEqual(east.selfId, west.selfId);
  assert.ok(east.requests >= 3 && west.requests >= 2);
  // East reads west's counters from the control prefix within a few activity periods.
  const seen = (await waitUntil(
    async () => {
      const d = (await json<Doc>(gws.east!, '/api/tenants')).doc;
      const t = d.tenants.find((x) => x.name === 'legacy')!;
      const w = t.gateways.find((g) => g.id === west.selfId);
      return w !== undefined && w.requests === west.requests ? t : undefined;
    },
    WAIT_MS,
    "west's counters at the east gateway",
  ))!;
  assert.equal(
    seen.requests,
    seen.gateways.reduce((n, g) => n + g.requests, 0),
  );
  assert.ok(seen.requests >= east.requests + west.requests);
  assert.deepEqual(
    seen.fetched.map((f) => [f.library, f.version]),
    [['templates', 1]],
  );
  assert.equal(seen.behind, false);
});

test(
  'west endpoint failing, then gone: the west gateway keeps its last view and reports it stale',
  { skip },
  async () => {
    type Health = {
      status: string;
      tenants: { stale: boolean; source: string; ageSeconds: number; lastError?: { kind: string } };
    };
    westMode = 'control-down';
    const stale = (await waitUntil(
      async () => {
        const h = await json<Health>(gws.west!, '/healthz');
        return h.doc.tenants.stale ? h : undefined;
      },
      WAIT_MS,
      'a stale tenant view at the west gateway',
    ))!;
    assert.equal(stale.status, 200, 'the library is still served');
    assert.equal(stale.doc.status, 'degraded');
    assert.equal(stale.doc.tenants.source, 'west');
    assert.equal(stale.doc.tenants.lastError?.kind, 'unreachable');
    assert.equal(await status(gws.west!, legacy), 200, 'the last view still lets the tenant in');
    assert.equal(await status(gws.west!, `${legacy.slice(0, -1)}${legacy.endsWith('x') ? 'y' : 'x'}`), 401);
    const metrics = (
      await http(gws.west!.base, '/metrics', { headers: { Authorization: basic(ADMIN, 'admin') } })
    ).body.toString();
    assert.match(metrics, /^claas_gateway_tenant_view_stale 1$/m);
    assert.match(metrics, /^claas_gateway_tenant_view_age_seconds\{source="west"\} [0-9.]+$/m);
    // The age grows while it cannot be read.
    await waitUntil(
      async () =>
        (await json<Health>(gws.west!, '/healthz')).doc.tenants.ageSeconds > stale.doc.tenants.ageSeconds,
      WAIT_MS,
      'the view age to grow',
    );
    // The east gateway is not affected.
    assert.equal((await json<Health>(gws.east!, '/healthz')).doc.tenants.stale, false);
    // Back: fresh again.
    westMode = 'forward';
    await waitUntil(
      async () => !(await json<Health>(gws.west!, '/healthz')).doc.tenants.stale,
      WAIT_MS,
      'a fresh view',
    );
    // Gone entirely: the library cannot be served, but authentication still uses the last view.
    await proxy!.close();
    await waitUntil(
      async () => (await json<Health>(gws.west!, '/healthz')).doc.tenants.stale,
      WAIT_MS,
      'a stale view with the west endpoint gone',
    );
    assert.notEqual(await status(gws.west!, legacy), 401, 'the tenant is still known');
    assert.equal(await status(gws.west!, `${legacy.slice(0, -1)}${legacy.endsWith('x') ? 'y' : 'x'}`), 401);
    const logs = gws.west!.logs.filter(
      (l) => l.msg === 'tenants in the store cannot be read; serving the last good view',
    );
    assert.ok(logs.length > 0, 'the gateway logs that it serves the last view');
    assert.ok(!JSON.stringify(gws.west!.logs).includes(legacy), 'no password in the logs');
  },
);
