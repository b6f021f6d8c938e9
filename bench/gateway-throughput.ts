// Benchmark: the gateway against reading Ceph RGW directly, in one run. A library with a 1 GiB file is
// published to the us-east-1 zone; `claas gateway` (its own process) serves it from there with the
// subscriber credential; the same credential reads it straight from RGW with the SDK (GetObject).
//   1. one client downloads the 1 GiB file (best of 3 each, alternating direct / gateway)
//   2. 32 concurrent range readers read the file in 32 parts (best of 3)
//   3. lib.json latency: 500 sequential GETs through the gateway (Basic auth, keep-alive) and 500 GetObject
//   4. the gateway process's peak RSS (VmHWM in /proc/<pid>/status)
// Needs the Ceph test env: eval "$(bash scripts/test-env/ceph.sh env)". Prints markdown.
// Usage: node dist/bench/gateway-throughput.js [MiB] [pin]   (default 1024; pin: the gateway on a core of its own)

import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { Agent, get } from 'node:http';
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
  procStatus as status,
  publishBenchLibrary,
  rgwClient,
  startGatewayProcess,
  stopGatewayProcess,
  timed,
} from './gateway-bench.js';
import { cephTestEnv, cli, fmtMs, MiB, removeBucket, row, tableHead, workDir } from './lib.js';

suppressSdkNodeVersionWarning();

const size = Math.round(Number(process.argv[2] ?? 1024) * MiB);
const work = workDir('gateway');
const ceph = cephTestEnv();
const { east: endpoint, publisher: pub, subscriber: sub } = ceph;
if (sub === undefined) throw new Error('run `eval "$(bash scripts/test-env/ceph.sh env)"` first');

const owner = rgwClient(endpoint, pub);
const reader = rgwClient(endpoint, sub);
const bucket = `bench-gateway-${Date.now().toString(36)}`;

async function direct(key: string, range?: [number, number]): Promise<number> {
  const out = await reader.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ...(range === undefined ? {} : { Range: `bytes=${range[0]}-${range[1]}` }),
    }),
  );
  return drain(out.Body as Readable);
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let gatewayBase = '';
let authorization = '';

function viaGateway(path: string, range?: [number, number]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    get(
      `${gatewayBase}${path}`,
      {
        agent,
        headers: {
          Authorization: authorization,
          ...(range === undefined ? {} : { Range: `bytes=${range[0]}-${range[1]}` }),
        },
      },
      (res) => {
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`${path}: HTTP ${res.statusCode}`));
        drain(res).then(resolvePromise, reject);
      },
    ).on('error', reject);
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const { diskKey, diskHref, gwEnv } = await publishBenchLibrary({ ceph, work, bucket, owner, reader, size });
const config = join(work, 'claas.yaml');
await writeFile(config, benchConfigYaml('bench', bucket, endpoint));
authorization = await addBenchTenant([config], ['bench'], gwEnv);

/**
 * `pin` (second argument): the gateway gets a core of its own, as on its own host near the vCenters; RGW
 * (its OSD and monitor) and this client share the others, for the direct and the gateway reads alike.
 * Without it all three share every core, and the gateway's copying competes with RGW's and the client's.
 */
const pin = process.argv[3] === 'pin';
const lastCpu = cpus().length - 1;
if (pin && lastCpu < 1) throw new Error('pin needs at least 2 cores');
const others = `0-${Math.max(0, lastCpu - 1)}`;
const pinned = pin
  ? [
      process.pid,
      ...spawnSync('pgrep', ['-x', 'radosgw|ceph-osd|ceph-mon'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.trim() !== '')
        .map(Number),
    ]
  : [];
const setAffinity = (cpuList: string) => {
  for (const pid of pinned)
    spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
};
if (pin) setAffinity(others);

const gwCommand = [
  cli,
  'gateway',
  '--config',
  config,
  '--listen',
  '127.0.0.1:0',
  '--json',
  '--no-access-log',
];
const { gateway, base } = await startGatewayProcess(
  pin ? 'taskset' : process.execPath,
  pin ? ['-c', String(lastCpu), process.execPath, ...gwCommand] : gwCommand,
  gwEnv,
);
gatewayBase = base;
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, status(gateway.pid!, 'VmRSS'));
}, 100);

try {
  // Warm-up: authenticate once (scrypt), open connections.
  await viaGateway('/bench/lib.json');
  await direct('lib/lib.json');

  /** Best of three runs of each way, alternating (direct, gateway, direct, ...) so both see the same load. */
  const bestOfAlternating = async (ways: Record<'direct' | 'gateway', () => Promise<number>>) => {
    const best: Record<string, { ms: number; bytes: number }> = {};
    for (let i = 0; i < 3; i++) {
      for (const [name, fn] of Object.entries(ways)) {
        const t = await timed(fn);
        if (best[name] === undefined || t.ms < best[name].ms) best[name] = t;
      }
    }
    return best;
  };
  const parts = 32;
  const part = Math.ceil(size / parts);
  const ranges = Array.from(
    { length: parts },
    (_, i) => [i * part, Math.min(size, (i + 1) * part) - 1] as [number, number],
  );
  const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);
  const cpu0 = cpuSeconds(gateway.pid!);
  const whole = await bestOfAlternating({
    direct: () => direct(diskKey),
    gateway: () => viaGateway(`/bench/${diskHref}`),
  });
  const cpuPerGiB = (cpuSeconds(gateway.pid!) - cpu0) / 3 / (size / (1 << 30));
  const ranged = await bestOfAlternating({
    direct: async () => sum(await Promise.all(ranges.map((r) => direct(diskKey, r)))),
    gateway: async () => sum(await Promise.all(ranges.map((r) => viaGateway(`/bench/${diskHref}`, r)))),
  });
  for (const r of [whole.direct, whole.gateway, ranged.direct, ranged.gateway]) {
    if (r!.bytes !== size) throw new Error(`read ${r!.bytes} bytes, expected ${size}`);
  }

  const latency = async (fn: () => Promise<number>) => {
    const ms: number[] = [];
    for (let i = 0; i < 500; i++) ms.push((await timed(fn)).ms);
    return ms.sort((a, b) => a - b);
  };
  const libGw = await latency(() => viaGateway('/bench/lib.json'));
  const libDirect = await latency(() => direct('lib/lib.json'));
  clearInterval(sampler);
  const hwm = status(gateway.pid!, 'VmHWM');

  const w = mbps(size, whole.gateway!.ms) / mbps(size, whole.direct!.ms);
  const r = mbps(size, ranged.gateway!.ms) / mbps(size, ranged.direct!.ms);
  const out = [
    `## Gateway throughput (${(size / MiB).toFixed(0)} MiB file, Ceph RGW us-east-1 on this machine, best of 3` +
      (pin
        ? `; gateway on CPU ${lastCpu} of its own, RGW and the clients on CPUs ${others})`
        : ', all sharing every core)'),
    '',
    tableHead(['read', 'direct from RGW (SDK GetObject)', 'through claas gateway', 'ratio (target ≥ 0.9)']),
    row([
      'one client, whole file',
      `${fmtMs(whole.direct!.ms)} (${mbps(size, whole.direct!.ms).toFixed(0)} MiB/s)`,
      `${fmtMs(whole.gateway!.ms)} (${mbps(size, whole.gateway!.ms).toFixed(0)} MiB/s)`,
      w.toFixed(2),
    ]),
    row([
      '32 concurrent range readers',
      `${fmtMs(ranged.direct!.ms)} (${mbps(size, ranged.direct!.ms).toFixed(0)} MiB/s)`,
      `${fmtMs(ranged.gateway!.ms)} (${mbps(size, ranged.gateway!.ms).toFixed(0)} MiB/s)`,
      r.toFixed(2),
    ]),
    '',
    tableHead(['lib.json (500 sequential GETs)', 'p50', 'p99']),
    row(['direct GetObject', `${pct(libDirect, 50).toFixed(2)} ms`, `${pct(libDirect, 99).toFixed(2)} ms`]),
    row([
      'gateway (Basic auth, keep-alive)',
      `${pct(libGw, 50).toFixed(2)} ms`,
      `${pct(libGw, 99).toFixed(2)} ms`,
    ]),
    row([
      'added by the gateway',
      `${(pct(libGw, 50) - pct(libDirect, 50)).toFixed(2)} ms`,
      `${(pct(libGw, 99) - pct(libDirect, 99)).toFixed(2)} ms`,
    ]),
    '',
    `Gateway peak RSS (VmHWM): ${hwm.toFixed(0)} MB (target ≤ 200 MB; highest VmRSS sampled: ${peakRss.toFixed(0)} MB)`,
    `Gateway CPU per GiB streamed (one client): ${cpuPerGiB.toFixed(2)} s; machine: ${cpus().length} cores, ` +
      `load average ${loadavg()[0]!.toFixed(1)} at the end (RGW, the gateway and this client share them).`,
    'lib.json is answered from memory (synthesised from the version snapshot the gateway checked), so it can ' +
      'be faster than a GetObject of lib.json from RGW.',
    '',
  ];
  process.stdout.write(out.join('\n'));
} finally {
  if (pin) setAffinity(`0-${lastCpu}`);
  clearInterval(sampler);
  await stopGatewayProcess(gateway);
  agent.destroy();
  await removeBucket(owner, bucket);
  owner.destroy();
  reader.destroy();
  await rm(work, { recursive: true, force: true });
}
