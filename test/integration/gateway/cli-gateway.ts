// Test helpers for the gateway as users run it (`claas gateway` in its own process, real Ceph RGW):
// start it and read its startup JSON, collect its JSON log lines, write claas.yaml files, start an extra
// radosgw for a zone that a test may stop (the shared ones are never touched), poll with limits.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { runCli, startCliJson } from '../../helpers/cli.js';
import { cephEnv } from '../../helpers/ceph.js';
import type { CephZone } from '../../helpers/ceph.js';

export interface GatewayInfo {
  urls: { library: string; url: string }[];
  port: number;
  thumbprint?: string;
  pid: number;
}

export interface RunningGateway {
  child: ChildProcess;
  info: GatewayInfo;
  base: string;
  /** JSON log lines so far (access log entries have msg "request"). */
  logs: Record<string, unknown>[];
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `claas gateway ... --json` in its own process; its JSON log lines (stderr) are collected from the start. */
export async function startCliGateway(args: string[], env: Record<string, string>): Promise<RunningGateway> {
  const { child, info, stop } = await startCliJson<GatewayInfo>(['gateway', ...args], env);
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ text: line });
      }
    }
  });
  return {
    child,
    info,
    base: `http://127.0.0.1:${info.port}`,
    logs,
    stop: async () => {
      await stop();
      return child.exitCode;
    },
  };
}

/** `--profile P --endpoint E --region Z` for a zone of the test cluster. */
export function s3Flags(profile: string, zone: CephZone = 'us-east-1'): string[] {
  return ['--profile', profile, '--endpoint', cephEnv()!.endpoints[zone], '--region', zone];
}

/** `claas publish <src> --to <location>` as the publisher, in us-east-1; fails the test when it fails. */
export async function publishToCeph(
  env: Record<string, string>,
  src: string,
  location: string,
): Promise<void> {
  const r = await runCli(['publish', src, '--to', location, ...s3Flags('publisher'), '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
}

/** `claas tenant add` for the configurations; returns the password it printed once. */
export async function addTenant(
  env: Record<string, string>,
  name: string,
  libraries: readonly string[],
  configs: string[],
): Promise<string> {
  const r = await runCli(
    [
      'tenant',
      'add',
      name,
      ...libraries.flatMap((l) => ['--library', l]),
      ...configs.flatMap((c) => ['--config', c]),
      '--json',
    ],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { password: string }).password;
}

/** Access log entries (msg "request"). */
export function accessLog(
  logs: Record<string, unknown>[],
): Array<Record<string, unknown> & { path: string; status: number; replica?: string }> {
  return logs.filter((l) => l.msg === 'request') as never;
}

export interface StoreYaml {
  location: string;
  endpoint: string;
  region: string;
  profile: string;
}

/** A claas.yaml with an origin, replicas (native) and a gateway section. */
export async function writeConfig(
  path: string,
  o: {
    library: string;
    origin: StoreYaml;
    replicas?: (StoreYaml & { name: string })[];
    prefer: string[];
    gatewayProfile: string;
    tenants: string;
    /** gateway.admin.passwordFile */
    adminPasswordFile?: string;
  },
): Promise<void> {
  const store = (s: StoreYaml, indent: string) =>
    [
      `location: ${s.location}`,
      `endpoint: ${s.endpoint}`,
      `region: ${s.region}`,
      `credentials: { profile: ${s.profile} }`,
    ]
      .map((l) => `${indent}${l}`)
      .join('\n');
  const text = [
    `library: ${o.library}`,
    'origin:',
    store(o.origin, '  '),
    ...(o.replicas === undefined || o.replicas.length === 0
      ? []
      : [
          'replicas:',
          ...o.replicas.map((r) => `  - name: ${r.name}\n${store(r, '    ')}\n    mode: native`),
        ]),
    'gateway:',
    '  listen: 127.0.0.1:8443',
    `  prefer: [${o.prefer.join(', ')}]`,
    `  credentials: { profile: ${o.gatewayProfile} }`,
    `  tenants: ${o.tenants}`,
    ...(o.adminPasswordFile === undefined ? [] : [`  admin: { passwordFile: ${o.adminPasswordFile} }`]),
    '',
  ].join('\n');
  await writeFile(path, text);
}

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race with other processes remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * An extra radosgw process for zone us-west-2 of the test cluster, on its own port, started by this test
 * and stopped by pid: failover tests stop it without touching the shared gateways. It runs no sync threads
 * (the shared us-west-2 radosgw replicates); it serves what the zone holds.
 */
export async function startExtraWestRgw(
  port?: number,
): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const conf = cephEnv()?.cephConf;
  if (conf === undefined) throw new Error('CLAAS_TEST_CEPH_CONF is not set');
  const p = port ?? (await freePort());
  const name = `client.rgw.gwtest${p}`;
  const child = spawn(
    'radosgw',
    [
      '-f',
      '-c',
      conf,
      '-n',
      name,
      '--rgw-zone=us-west-2',
      `--rgw-frontends=beast endpoint=127.0.0.1:${p} tcp_nodelay=1`,
      '--rgw_run_sync_thread=false',
      // No metadata cache, so no watch on the zone's notify objects: the shared radosgw processes never
      // wait for this one to acknowledge cache invalidations (seen: a killed extra radosgw's stale watch
      // left the shared us-west-2 radosgw hanging on its notifies).
      '--rgw_cache_enabled=false',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${p}`;
  await waitUntil(() => answers(url), 60_000, `radosgw on ${url}`);
  return {
    url,
    port: p,
    // Stopped as an operator stops it (SIGTERM: it closes its connections and unregisters from RADOS);
    // killed only if it has not exited after 15 s.
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls until fn() is truthy (or throws after timeoutMs), every intervalMs. */
export async function waitUntil<T>(
  fn: () => Promise<T> | T,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    try {
      v = await fn();
    } catch {
      v = undefined;
    }
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Holds Ceph's replication of a test bucket back, or lets it go (`radosgw-admin bucket sync disable|enable`,
 * Ceph's own switch): makes "a replica still catching up" last as long as a test needs.
 */
export function bucketSync(bucket: string, action: 'disable' | 'enable'): void {
  const r = spawnSync(
    'radosgw-admin',
    ['-c', cephEnv()!.cephConf!, 'bucket', 'sync', action, '--bucket', bucket],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(r.status, 0, `radosgw-admin bucket sync ${action}: ${r.stderr}`);
}
