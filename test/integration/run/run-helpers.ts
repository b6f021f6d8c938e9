// Shared set-up of the `claas run` process tests: a claas.yaml with a `sources:` section (the replication
// fixture's origin and replicas plus sources and vCenters), `claas run --json --listen 127.0.0.1:0` started
// as a real process whose JSON events are collected line by line, bounded waits on those events, /healthz,
// and the library as the origin holds it (lib.json version and item names, read with the S3 client).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CLI, cliEnv } from '../../helpers/cli.js';
import { endpointOf, openTestStore, waitFor } from '../../helpers/ceph.js';
import type { CephUser } from '../../helpers/ceph.js';
import { claasYaml } from '../replicate/fixture.js';
import type { ReplicaSpec } from '../replicate/fixture.js';
import type { HealthReport } from '../../../src/run/http.js';
import type { RunEvent } from '../../../src/run/types.js';

export type SourceSpec =
  { folder: string; interval: string } | { vcenter: string; library: string; interval: string };

export interface VcenterSpec {
  name: string;
  /** https://host:port */
  server: string;
  user: string;
  passwordFile: string;
  thumbprint: string;
}

/**
 * A claas.yaml for `claas run`: origin s3://<originBucket>/lib on us-east-1 as the publisher (reached at
 * originEndpoint when given, e.g. through a proxy), the replicas, then `vcenters:` and `sources:`.
 */
export function runYaml(o: {
  library: string;
  originBucket: string;
  originEndpoint?: string;
  replicas?: ReplicaSpec[];
  vcenters?: VcenterSpec[];
  sources: SourceSpec[];
}): string {
  let text = claasYaml(o.library, o.originBucket, o.replicas ?? []);
  if ((o.replicas ?? []).length === 0) text = text.replace(/replicas:\n$/, '');
  if (o.originEndpoint !== undefined)
    text = text.replace(`endpoint: ${endpointOf('us-east-1')}`, `endpoint: ${o.originEndpoint}`);
  const lines: string[] = [];
  if (o.vcenters !== undefined) {
    lines.push('vcenters:');
    for (const v of o.vcenters) {
      lines.push(
        `  - name: ${v.name}`,
        `    server: ${v.server}`,
        `    user: ${v.user}`,
        `    passwordFile: ${v.passwordFile}`,
        `    thumbprint: "${v.thumbprint}"`,
      );
    }
  }
  lines.push('sources:');
  for (const s of o.sources) {
    if ('folder' in s) lines.push(`  - folder: ${s.folder}`);
    else lines.push(`  - vcenter: ${s.vcenter}`, `    library: ${s.library}`);
    lines.push(`    interval: ${s.interval}`);
  }
  return `${text}${lines.join('\n')}\n`;
}

type EventOf<K extends RunEvent['type']> = Extract<RunEvent, { type: K }>;

export interface RunProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** Every JSON event printed so far, in order. */
  readonly events: RunEvent[];
  /** stdout lines that were not JSON (there should be none with --json). */
  readonly otherLines: string[];
  stderr(): string;
  /** Resolves with the first event of that type (at index >= from) that matches; rejects after timeoutMs. */
  waitEvent<K extends RunEvent['type']>(
    type: K,
    match: (e: EventOf<K>) => boolean,
    timeoutMs: number,
    from?: number,
  ): Promise<EventOf<K>>;
  eventsOf<K extends RunEvent['type']>(type: K): EventOf<K>[];
  /** The base URL of /healthz (from the 'listening' event). */
  url(): Promise<string>;
  healthz(): Promise<{ status: number; report: HealthReport }>;
  /** kill -9, resolved once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL when it has not exited after graceMs. */
  stop(graceMs?: number): Promise<void>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<RunProcess>();

/** kill -9 of every `claas run` this test file started and that still runs (for after()). */
export async function killAllRuns(): Promise<void> {
  await Promise.all([...started].map((p) => p.kill9()));
}

/** Starts `claas run <args> --json --listen 127.0.0.1:0`. */
export function startRun(name: string, args: string[], env: Record<string, string>): RunProcess {
  const child = spawn(process.execPath, [CLI, 'run', ...args, '--json', '--listen', '127.0.0.1:0'], {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: RunEvent[] = [];
  const otherLines: string[] = [];
  let err = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      otherLines.push(line);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const describe = (): string =>
    `claas run (${name}) events:\n${events.map((e) => JSON.stringify(e)).join('\n')}\n` +
    `${otherLines.join('\n')}\nstderr:\n${err.slice(-4000)}`;
  const eventsOf = <K extends RunEvent['type']>(type: K): EventOf<K>[] =>
    events.filter((e): e is EventOf<K> => e.type === type);
  const p: RunProcess = {
    child,
    name,
    events,
    otherLines,
    stderr: () => err,
    eventsOf,
    async waitEvent(type, match, timeoutMs, from = 0) {
      const look = (): EventOf<typeof type> | undefined =>
        events
          .slice(from)
          .find((e): e is EventOf<typeof type> => e.type === type && match(e as EventOf<typeof type>));
      try {
        // Also stops waiting when the process is gone (then nothing more will come).
        await waitFor(() => look() !== undefined || gone(), timeoutMs, {
          intervalMs: 100,
          what: `a '${type}' event from ${name}`,
        });
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${describe()}`);
      }
      const found = look();
      if (found === undefined)
        throw new Error(`claas run (${name}) exited before a '${type}' event: ${describe()}`);
      return found;
    },
    async url() {
      return (await p.waitEvent('listening', () => true, 30_000)).url;
    },
    async healthz() {
      const res = await fetch(`${await p.url()}/healthz`);
      return { status: res.status, report: (await res.json()) as HealthReport };
    },
    async kill9() {
      if (!gone()) child.kill('SIGKILL');
      await exit;
      started.delete(p);
    },
    async stop(graceMs = 30_000) {
      if (!gone()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      started.delete(p);
    },
    exited: () => exit,
  };
  started.add(p);
  return p;
}

export interface LibraryView {
  version: number;
  /** Item names, sorted. */
  items: string[];
  /** Per item name: its files as items.json lists them. */
  files: Record<string, { name: string; size: number }[]>;
  /** lib.json as stored, byte for byte. */
  libJson: string;
}

/** The library at a location as a subscriber sees it: lib.json and the items document it names. */
export async function readLibrary(
  bucket: string,
  user: CephUser = 'publisher',
  prefix = 'lib',
): Promise<LibraryView | undefined> {
  const store = await openTestStore(user, bucket, prefix);
  try {
    const lib = await store.readBytes('lib.json');
    if (lib === undefined) return undefined;
    const parsed = JSON.parse(lib.toString()) as { version: string; itemsHref: string };
    const doc = await store.readBytes(decodeURIComponent(parsed.itemsHref));
    if (doc === undefined) throw new Error(`${bucket}: lib.json names ${parsed.itemsHref}, which is missing`);
    const items = (
      JSON.parse(doc.toString()) as { items: { name: string; files: { name: string; size: number }[] }[] }
    ).items;
    return {
      version: Number(parsed.version),
      items: items.map((i) => i.name).sort(),
      files: Object.fromEntries(
        items.map((i) => [i.name, i.files.map((f) => ({ name: f.name, size: f.size }))]),
      ),
      libJson: lib.toString(),
    };
  } finally {
    store.close();
  }
}

/** The library's role in a /healthz report (one library per process in these tests). */
export function roleOf(report: HealthReport): string | undefined {
  return report.libraries[0]?.role;
}
