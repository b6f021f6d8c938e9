// Benchmark: `claas run` as a service, next to what people run without it (rclone sync from cron).
//   1. Change to "every replica consistent", median of N changes: a 1 MiB file added to a folder source;
//      claas run publishes to the origin (us-east-1), fills a mirror replica (us-west-2) and watches the
//      origin's native zone replica (same bucket, us-west-2 endpoint). Split from claas run's own events:
//      detection (file written -> poll saw the change), publish (-> version committed), mirror (-> mirror
//      replica filled), replication (-> /healthz reports every replica consistent at that version).
//      Beside it: a loop of `rclone sync folder east:bucket && rclone sync east:bucket west:mirror` on the
//      same interval, timed from the same change until both copies answer HEAD.
//   2. Idle cost of following a 1,000-item folder source and a vcsim library for M minutes after the first
//      publish: CPU seconds and RSS of the claas run process, S3 requests (counted by a proxy) and vCenter
//      requests per poll; beside it `rclone sync` of the same folder on the same interval (CPU seconds
//      from /usr/bin/time, S3 requests through its own counting proxy), running at the same time.
// Needs the Ceph test env and vcsim (eval "$(bash scripts/test-env/ceph.sh env)"; same for vcsim.sh) and rclone.
// Usage: node dist/bench/run-service.js [idle minutes, default 10] [changes, default 10]

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, suppressSdkNodeVersionWarning } from '../src/store/s3-client.js';
import { connectVcenter, createLocalLibrary, ensureItem, uploadItemFiles } from '../src/vcenter/index.js';
import { firstRef, requireVcsim, vcsimConnectOptions } from '../test/helpers/vcsim.js';
import { startCountProxy } from './count-proxy.js';
import { cpuSeconds, procStatus } from './gateway-bench.js';
import {
  cephTestEnv,
  cli,
  fmtMs,
  publisherEnv,
  rcloneEnv,
  removeBucket,
  row,
  tableHead,
  timeCommand,
  workDir,
} from './lib.js';

suppressSdkNodeVersionWarning();

const idleMinutes = Number(process.argv[2] ?? 10);
const changes = Number(process.argv[3] ?? 10);
const INTERVAL_S = 2; // folder poll period of the latency part (both tools)
const IDLE_FOLDER_S = 30;
const IDLE_VCENTER_S = 60;
const work = workDir('run-service');
const ceph = cephTestEnv();
const { east, west, publisher: credentials } = ceph;
const env = publisherEnv(ceph, work);
const clients = {
  east: createS3Client({ endpoint: east, region: 'us-east-1', credentials }),
  west: createS3Client({ endpoint: west, region: 'us-west-2', credentials }),
};
const made: { client: S3Client; bucket: string }[] = [];

async function newBucket(name: string): Promise<string> {
  const bucket = `${name}-${Date.now().toString(36)}`;
  await clients.east.send(new CreateBucketCommand({ Bucket: bucket }));
  made.push({ client: clients.east, bucket });
  return bucket;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 300_000) {
  const deadline = now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

// ---- claas run, driven through its --json events and /healthz ----

interface Seen {
  at: number;
  e: Record<string, unknown>;
}

class RunProcess {
  readonly events: Seen[] = [];
  private readonly child: ChildProcess;
  private stderr = '';
  constructor(
    config: string,
    readonly port: number,
  ) {
    this.child = spawn(
      process.execPath,
      [cli, 'run', '--config', config, '--json', '--listen', `127.0.0.1:${port}`],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.events.push({ at: now(), e: JSON.parse(line) as Record<string, unknown> });
        } catch {
          /* not an event line */
        }
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`claas run exited ${code}: ${this.stderr}\n`);
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  first(after: number, match: (e: Record<string, unknown>) => boolean): Seen | undefined {
    return this.events.find((s) => s.at >= after && match(s.e));
  }
  async health(): Promise<{ libraries: Record<string, unknown>[] } | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/healthz`);
      return (await res.json()) as { libraries: Record<string, unknown>[] };
    } catch {
      return undefined;
    }
  }
  /** Every replica consistent at `version` per /healthz. */
  async consistentAt(version: number): Promise<true | undefined> {
    const lib = (await this.health())?.libraries[0] as
      { replicas: { state: string; version?: number }[] } | undefined;
    if (lib === undefined || lib.replicas.length === 0) return undefined;
    return lib.replicas.every((r) => r.state === 'consistent' && r.version === version) ? true : undefined;
  }
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await new Promise((r) => this.child.once('exit', r));
  }
}

const yamlStore = (location: string, endpoint: string, region: string) => [
  `  location: ${location}`,
  `  endpoint: ${endpoint}`,
  `  region: ${region}`,
  '  credentials: { env: true }',
];

async function exists(client: S3Client, bucket: string, key: string): Promise<true | undefined> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return undefined;
  }
}

// ---- 1. change to consistent ----

async function latency(): Promise<void> {
  const dir = join(work, 'latency');
  const folder = join(dir, 'items');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'seed.bin'), randomBytes(1 << 20));
  const origin = await newBucket('bench-run-origin');
  const mirror = await newBucket('bench-run-mirror');
  const config = join(dir, 'claas.yaml');
  await writeFile(
    config,
    [
      'library: bench-run',
      'origin:',
      ...yamlStore(`s3://${origin}/lib`, east, 'us-east-1'),
      'replicas:',
      '  - name: west',
      '    mode: native',
      ...yamlStore(`s3://${origin}/lib`, west, 'us-west-2').map((l) => `  ${l}`),
      '  - name: mirror',
      '    mode: mirror',
      ...yamlStore(`s3://${mirror}/lib`, west, 'us-west-2').map((l) => `  ${l}`),
      'sources:',
      `  - folder: ${folder}`,
      `    interval: ${INTERVAL_S}s`,
      '',
    ].join('\n'),
  );
  const run = new RunProcess(config, 18_000 + Math.floor(Math.random() * 1000));
  const parts = {
    detect: [] as number[],
    publish: [] as number[],
    mirror: [] as number[],
    repl: [] as number[],
  };
  const totals: number[] = [];
  try {
    const first = await waitFor('the first version', () => run.first(0, (e) => e.type === 'published'));
    await waitFor('replicas consistent', () => run.consistentAt(first.e.version as number));
    for (let i = 1; i <= changes; i++) {
      await sleep(Math.random() * INTERVAL_S * 1000); // changes land anywhere in the poll period
      const t0 = now();
      await writeFile(join(folder, `change-${i}.bin`), randomBytes(1 << 20));
      const poll = await waitFor('the poll that sees the change', () =>
        run.first(t0, (e) => e.type === 'poll' && e.changed === true),
      );
      const pub = await waitFor('the version', () => run.first(t0, (e) => e.type === 'published'));
      const version = pub.e.version as number;
      const mir = await waitFor('the mirror', () =>
        run.first(t0, (e) => e.type === 'mirrored' && e.version === version),
      );
      await waitFor('every replica consistent', () => run.consistentAt(version));
      const done = now();
      parts.detect.push(poll.at - t0);
      parts.publish.push(pub.at - poll.at);
      parts.mirror.push(mir.at - pub.at);
      parts.repl.push(done - mir.at);
      totals.push(done - t0);
    }
  } finally {
    await run.stop();
  }

  // rclone from a loop, on the same interval
  const rcOrigin = await newBucket('bench-run-rc-origin');
  const rcMirror = await newBucket('bench-run-rc-mirror');
  const rcEnv = rcloneEnv(env, credentials, {
    EAST: { endpoint: east, region: 'us-east-1' },
    WEST: { endpoint: west, region: 'us-west-2' },
  });
  const rcFolder = join(dir, 'rclone-items');
  await mkdir(rcFolder, { recursive: true });
  await writeFile(join(rcFolder, 'seed.bin'), randomBytes(1 << 20));
  let looping = true;
  const loop = (async () => {
    while (looping) {
      await timeCommand('rclone', ['sync', rcFolder, `east:${rcOrigin}/lib`], rcEnv);
      await timeCommand('rclone', ['sync', `east:${rcOrigin}/lib`, `west:${rcMirror}/lib`], rcEnv);
      await sleep(INTERVAL_S * 1000);
    }
  })();
  const rcTotals: number[] = [];
  try {
    await waitFor('rclone seed', () => exists(clients.west, rcMirror, 'lib/seed.bin'));
    for (let i = 1; i <= changes; i++) {
      await sleep(Math.random() * INTERVAL_S * 1000);
      const t0 = now();
      await writeFile(join(rcFolder, `change-${i}.bin`), randomBytes(1 << 20));
      await waitFor('rclone mirror copy', () => exists(clients.west, rcMirror, `lib/change-${i}.bin`));
      await waitFor('zone copy', () => exists(clients.west, rcOrigin, `lib/change-${i}.bin`));
      rcTotals.push(now() - t0);
    }
  } finally {
    looping = false;
    await loop;
  }

  console.log(
    `\n## Change at a folder source to every replica consistent (median of ${changes}, poll every ${INTERVAL_S} s)\n`,
  );
  console.log(
    tableHead(['tool', 'detection', 'publish', 'mirror', 'replication', 'total', 'vs rclone loop']),
  );
  const total = median(totals);
  const rc = median(rcTotals);
  console.log(
    row([
      'claas run',
      fmtMs(median(parts.detect)),
      fmtMs(median(parts.publish)),
      fmtMs(median(parts.mirror)),
      fmtMs(median(parts.repl)),
      fmtMs(total),
      `${(rc / total).toFixed(2)}x ${rc >= total ? 'faster' : 'slower'}`,
    ]),
  );
  console.log(row(['rclone sync loop (folder→origin, origin→mirror)', '', '', '', '', fmtMs(rc), '1.00']));
  console.log(
    '\nclaas run\'s "replication" column is the wait until /healthz reports both replicas (native zone copy and mirror) consistent at the new version; rclone has no notion of a version and is timed until both copies of the new file answer HEAD.',
  );
}

// ---- 2. idle cost ----

async function idle(): Promise<void> {
  const dir = join(work, 'idle');
  const folder = join(dir, 'items');
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < 1000; i++)
    await writeFile(join(folder, `item-${String(i).padStart(4, '0')}.txt`), randomBytes(1024));

  // a vcsim library of 20 small items
  const vc = requireVcsim();
  const api = await connectVcenter(vcsimConnectOptions());
  const libName = `bench-run-${Date.now().toString(36)}`;
  const library = await createLocalLibrary(api, { name: libName, datastoreId: firstRef('datastores').id });
  for (let i = 0; i < 20; i++) {
    const { item } = await ensureItem(api, { libraryId: library.id, name: `vc-item-${i}` });
    const data = randomBytes(1024);
    await uploadItemFiles(api, item.id, [
      { name: 'f.bin', size: data.length, open: () => Readable.from([data]) },
    ]);
  }
  await api.logout();
  await writeFile(join(dir, 'vc-password'), vc.password, { mode: 0o600 });

  const origin = await newBucket('bench-idle-origin');
  const mirror = await newBucket('bench-idle-mirror');
  const proxy = await startCountProxy(east);
  const config = join(dir, 'claas.yaml');
  await writeFile(
    config,
    [
      'library: bench-idle',
      'origin:',
      ...yamlStore(`s3://${origin}/lib`, proxy.url, 'us-east-1'),
      'replicas:',
      '  - name: mirror',
      '    mode: mirror',
      ...yamlStore(`s3://${mirror}/lib`, proxy.url, 'us-east-1').map((l) => `  ${l}`),
      'vcenters:',
      '  - name: vcsim',
      `    server: ${vc.url}`,
      `    user: ${vc.user}`,
      `    passwordFile: ${join(dir, 'vc-password')}`,
      `    thumbprint: "${vc.info.thumbprint}"`,
      'sources:',
      `  - folder: ${folder}`,
      `    interval: ${IDLE_FOLDER_S}s`,
      '  - vcenter: vcsim',
      `    library: ${libName}`,
      `    interval: ${IDLE_VCENTER_S}s`,
      '',
    ].join('\n'),
  );

  // rclone beside it, on its own proxy and bucket, started once claas run's first publish is done
  const rcBucket = await newBucket('bench-idle-rclone');
  const rcProxy = await startCountProxy(east);
  const rcEnv = rcloneEnv(env, credentials, { EAST: { endpoint: rcProxy.url, region: 'us-east-1' } });
  await timeCommand('rclone', ['sync', folder, `east:${rcBucket}/lib`], rcEnv); // the first copy

  const run = new RunProcess(config, 19_000 + Math.floor(Math.random() * 1000));
  try {
    const first = await waitFor(
      'the first version',
      () => run.first(0, (e) => e.type === 'published'),
      900_000,
    );
    await waitFor('replicas consistent', () => run.consistentAt(first.e.version as number), 900_000);
    await sleep(5000);
    const h0 = await run.health();
    const cpu0 = cpuSeconds(run.pid);
    const req0 = proxy.counts().total;
    const rc0 = rcProxy.counts().total;
    const t0 = now();
    let rss = 0;
    let rcCpu = 0;
    let rcRuns = 0;
    let rcPeak = 0;
    const endAt = t0 + idleMinutes * 60_000;
    let nextRclone = t0;
    while (now() < endAt) {
      rss = Math.max(rss, procStatus(run.pid, 'VmRSS'));
      if (now() >= nextRclone) {
        nextRclone += IDLE_FOLDER_S * 1000;
        const t = await timeCommand(
          '/usr/bin/time',
          ['-f', '__CPU=%U %S', 'rclone', 'sync', folder, `east:${rcBucket}/lib`],
          rcEnv,
        );
        const m = /__CPU=([\d.]+) ([\d.]+)/.exec(t.stderr);
        if (m) rcCpu += Number(m[1]) + Number(m[2]);
        rcRuns++;
        rcPeak = Math.max(rcPeak, t.peakRssMb ?? 0);
      }
      await sleep(2000);
    }
    const minutes = (now() - t0) / 60_000;
    const cpu = cpuSeconds(run.pid) - cpu0;
    const requests = proxy.counts().total - req0;
    const rcRequests = rcProxy.counts().total - rc0;
    const h1 = await run.health();
    const sources = (h: typeof h0) =>
      (h?.libraries[0] as { sources?: { kind: string; polls: number; requestsLastPoll: number }[] })
        ?.sources ?? [];
    const polls = (kind: string) =>
      (sources(h1).find((s) => s.kind === kind)?.polls ?? 0) -
      (sources(h0).find((s) => s.kind === kind)?.polls ?? 0);
    const vcReq = sources(h1).find((s) => s.kind === 'vcenter')?.requestsLastPoll ?? NaN;
    const folderPolls = polls('folder');
    const vcPolls = polls('vcenter');
    console.log(
      `\n## Idle cost over ${minutes.toFixed(1)} min: a 1,000-item folder (poll ${IDLE_FOLDER_S} s) and a 20-item vcsim library (poll ${IDLE_VCENTER_S} s)\n`,
    );
    console.log(
      tableHead([
        'tool',
        'CPU s',
        'CPU s per hour',
        'RSS MB (peak)',
        'polls / runs',
        'S3 requests',
        'S3 req per poll',
        'vCenter req per poll',
      ]),
    );
    console.log(
      row([
        'claas run (folder + vCenter + 1 mirror replica)',
        cpu.toFixed(2),
        ((cpu / minutes) * 60).toFixed(1),
        rss.toFixed(0),
        `${folderPolls} + ${vcPolls}`,
        requests,
        (requests / Math.max(1, folderPolls + vcPolls)).toFixed(1),
        String(vcReq),
      ]),
    );
    console.log(
      row([
        'rclone sync folder every 30 s (folder only)',
        rcCpu.toFixed(2),
        ((rcCpu / minutes) * 60).toFixed(1),
        rcPeak.toFixed(0),
        rcRuns,
        rcRequests,
        (rcRequests / Math.max(1, rcRuns)).toFixed(1),
        '',
      ]),
    );
    console.log(`\nCPU ratio rclone / claas run: ${(rcCpu / Math.max(cpu, 0.001)).toFixed(2)}`);
  } finally {
    await run.stop();
    await proxy.close();
    await rcProxy.close();
  }
}

console.log(
  `# claas run — ${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}, node ${process.version}`,
);
await rm(work, { recursive: true, force: true });
try {
  if (changes > 0) await latency();
  if (idleMinutes > 0) await idle();
} finally {
  for (const { client, bucket } of made) await removeBucket(client, bucket).catch(() => undefined);
}
