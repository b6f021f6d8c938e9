// Benchmark: the gateway's direct data path (gateway.redirect) against proxying and against reading the
// store directly, in one run. A library with one large random file is published to the us-east-1 zone of
// the Ceph test cluster; one `claas gateway` process serves it twice, with the subscriber's read-only
// credential: as library "proxy" (no redirect: the bytes pass through the gateway) and as library
// "direct" (gateway.redirect: true: a 302 to a presigned URL, which the client follows with a plain HTTP
// GET, sending its Range again). The same credential also reads the object with the SDK (GetObject).
//   1. one client downloads the whole file (best of 3, the three ways alternating)
//   2. 32 concurrent range readers read it in 32 parts (best of 3, alternating)
//   3. the gateway's CPU seconds per GiB delivered, each way
//   4. how long the 302 takes: 200 sequential GETs answered with a redirect (not followed)
// Every process (RGW, its OSD, the gateway, this client) shares the machine's cores.
// Needs the Ceph test env: eval "$(bash scripts/test-env/ceph.sh env)". Prints markdown.
// Usage: node dist/bench/gateway-redirect.js [MiB]   (default 1024)

import { rm, writeFile } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { suppressSdkNodeVersionWarning } from '../src/store/s3-client.js';
import {
  addBenchTenant,
  benchConfigYaml,
  cpuSeconds,
  drain,
  mbps,
  publishBenchLibrary,
  rgwClient,
  startGatewayProcess,
  stopGatewayProcess,
  timed,
} from './gateway-bench.js';
import { cephTestEnv, cli, fmtMs, MiB, removeBucket, row, tableHead, workDir } from './lib.js';

suppressSdkNodeVersionWarning();

type Range = [number, number];
type Way = 'proxy' | 'redirect' | 'direct';

const size = Math.round(Number(process.argv[2] ?? 1024) * MiB);
const work = workDir('gateway-redirect');
const ceph = cephTestEnv();
const { east: endpoint, publisher: pub, subscriber: sub } = ceph;
if (sub === undefined) throw new Error('run `eval "$(bash scripts/test-env/ceph.sh env)"` first');
const owner = rgwClient(endpoint, pub);
const reader = rgwClient(endpoint, sub);
const bucket = `bench-redirect-${Date.now().toString(36)}`;

const gatewayAgent = new Agent({ keepAlive: true, maxSockets: 64 });
const storeAgent = new Agent({ keepAlive: true, maxSockets: 64 });
let gatewayBase = '';
let authorization = '';

const rangeHeader = (range?: Range): Record<string, string> =>
  range === undefined ? {} : { Range: `bytes=${range[0]}-${range[1]}` };

/** One GET; resolves with the response (its body not read). */
function request(url: string, agent: Agent, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(url, { agent, headers }, resolve).on('error', reject));
}

async function body(res: IncomingMessage, what: string): Promise<number> {
  const status = res.statusCode ?? 0;
  if (status !== 200 && status !== 206) {
    res.resume();
    throw new Error(`${what}: HTTP ${status}`);
  }
  return drain(res);
}

/** Through the gateway as a proxy: the bytes pass through it. */
async function proxied(path: string, range?: Range): Promise<number> {
  const res = await request(`${gatewayBase}/proxy/${path}`, gatewayAgent, {
    Authorization: authorization,
    ...rangeHeader(range),
  });
  return body(res, 'proxy');
}

/** The gateway's 302 for a file (its body read), and the presigned URL it names. */
async function redirectOf(path: string, range?: Range): Promise<string> {
  const res = await request(`${gatewayBase}/direct/${path}`, gatewayAgent, {
    Authorization: authorization,
    ...rangeHeader(range),
  });
  res.resume();
  if (res.statusCode !== 302) throw new Error(`redirect: HTTP ${res.statusCode}`);
  return res.headers.location!;
}

/** As a client that follows the redirect: the 302, then the presigned URL with Range sent again. */
async function redirected(path: string, range?: Range): Promise<number> {
  const location = await redirectOf(path, range);
  return body(await request(location, storeAgent, rangeHeader(range)), 'presigned GET');
}

/** Straight from the store with the same credential (SDK GetObject). */
async function direct(key: string, range?: Range): Promise<number> {
  const out = await reader.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ...(range === undefined ? {} : { Range: `bytes=${range[0]}-${range[1]}` }),
    }),
  );
  return drain(out.Body as Readable);
}

const lib = await publishBenchLibrary({ ceph, work, bucket, owner, reader, size });
const configs = [join(work, 'proxy.yaml'), join(work, 'direct.yaml')];
await writeFile(configs[0]!, benchConfigYaml('proxy', bucket, endpoint));
await writeFile(configs[1]!, benchConfigYaml('direct', bucket, endpoint, ['  redirect: true']));
authorization = await addBenchTenant(configs, ['proxy', 'direct'], lib.gwEnv);
const { gateway, base } = await startGatewayProcess(
  process.execPath,
  [
    cli,
    'gateway',
    ...configs.flatMap((c) => ['--config', c]),
    '--listen',
    '127.0.0.1:0',
    '--json',
    '--no-access-log',
  ],
  lib.gwEnv,
);
gatewayBase = base;
const loadBefore = loadavg()[0]!;

try {
  // Warm-up: authenticate once (scrypt), open connections, resolve the gateway's credential.
  await proxied('lib.json');
  await redirected(lib.diskHref, [0, 0]);
  await direct('lib/lib.json');

  const parts = 32;
  const part = Math.ceil(size / parts);
  const ranges = Array.from(
    { length: parts },
    (_, i) => [i * part, Math.min(size, (i + 1) * part) - 1] as Range,
  );
  const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);
  const reads: Record<Way, (range?: Range) => Promise<number>> = {
    proxy: (range) => proxied(lib.diskHref, range),
    redirect: (range) => redirected(lib.diskHref, range),
    direct: (range) => direct(lib.diskKey, range),
  };
  const cpu: Record<Way, number> = { proxy: 0, redirect: 0, direct: 0 };

  /** Best of three runs of each way, alternating so that all three see the same load. */
  const bestOfAlternating = async (run: (way: Way) => Promise<number>) => {
    const best: Partial<Record<Way, { ms: number; bytes: number }>> = {};
    for (let i = 0; i < 3; i++) {
      for (const way of ['proxy', 'redirect', 'direct'] as const) {
        const cpu0 = cpuSeconds(gateway.pid!);
        const t = await timed(() => run(way));
        cpu[way] += cpuSeconds(gateway.pid!) - cpu0;
        if (t.bytes !== size) throw new Error(`${way}: read ${t.bytes} bytes, expected ${size}`);
        if (best[way] === undefined || t.ms < best[way].ms) best[way] = t;
      }
    }
    return best as Record<Way, { ms: number; bytes: number }>;
  };
  const whole = await bestOfAlternating((way) => reads[way]());
  const ranged = await bestOfAlternating(async (way) =>
    sum(await Promise.all(ranges.map((r) => reads[way](r)))),
  );

  const redirectMs: number[] = [];
  for (let i = 0; i < 200; i++)
    redirectMs.push((await timed(async () => (await redirectOf(lib.diskHref)).length)).ms);
  redirectMs.sort((a, b) => a - b);
  const loadAfter = loadavg()[0]!;

  const cell = (t: { ms: number }) => `${fmtMs(t.ms)} (${mbps(size, t.ms).toFixed(0)} MiB/s)`;
  const ratio = (a: { ms: number }, b: { ms: number }) => (b.ms / a.ms).toFixed(2);
  const line = (label: string, r: Record<Way, { ms: number }>) =>
    row([
      label,
      cell(r.proxy),
      cell(r.redirect),
      cell(r.direct),
      ratio(r.redirect, r.proxy),
      ratio(r.redirect, r.direct),
      ratio(r.proxy, r.direct),
    ]);
  const gib = (6 * size) / 2 ** 30; // each way read the file 3 times whole and 3 times in ranges
  const out = [
    `## Gateway redirect mode (${(size / MiB).toFixed(0)} MiB file, Ceph RGW us-east-1 on this machine, best of 3, ` +
      `all processes sharing ${cpus().length} cores; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after)`,
    '',
    tableHead([
      'read',
      '(a) proxy through the gateway',
      '(b) redirect, client follows the 302',
      '(c) direct from RGW (SDK GetObject, same credential)',
      'b / a',
      'b / c',
      'a / c',
    ]),
    line('one client, whole file', whole),
    line('32 concurrent range readers', ranged),
    '',
    'Ratios are throughput ratios (higher = the first is faster).',
    `Gateway CPU per GiB delivered: proxy ${(cpu.proxy / gib).toFixed(2)} s, redirect ${(cpu.redirect / gib).toFixed(2)} s ` +
      `(direct reads: ${(cpu.direct / gib).toFixed(2)} s, the idle gateway).`,
    `The 302 itself (200 sequential GETs, Basic auth, keep-alive, presigned per request): p50 ` +
      `${redirectMs[100]!.toFixed(2)} ms, p99 ${redirectMs[198]!.toFixed(2)} ms.`,
    '',
  ];
  process.stdout.write(out.join('\n'));
} finally {
  await stopGatewayProcess(gateway);
  gatewayAgent.destroy();
  storeAgent.destroy();
  await removeBucket(owner, bucket);
  owner.destroy();
  reader.destroy();
  await rm(work, { recursive: true, force: true });
}
