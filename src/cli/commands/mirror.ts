// `claas mirror --config claas.yaml [--replica NAME] [--watch]`: copy the origin's current version into the
// replicas claas fills itself (mode: mirror), or once into a native replica (objects written before its
// replication rule existed). Resumable and incremental; --watch follows the origin. Writes with the origin's
// credential unless a replica says writeWith: replica (or --write-with / --profile say otherwise).

import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { isZoneReplica } from '../../config/resolve.js';
import { MIRROR_WRITERS, storeLocation, storeWriteSettings } from '../../config/schema.js';
import type { ClaasConfig, MirrorWriter, ReplicaConfig } from '../../config/schema.js';
import { badInput, ClaasError, exitCodeFor } from '../../errors.js';
import { mirrorOnce, originVersion } from '../../replicate/mirror.js';
import type { MirrorResult } from '../../replicate/mirror.js';
import {
  findReplica,
  openOriginStore,
  openReplicaStore,
  replicaWriter,
} from '../../replicate/open-stores.js';
import type { ConfiguredStore } from '../../replicate/open-stores.js';
import { defaulted } from '../flags.js';
import type { CliIo } from '../io.js';
import { withMode } from '../io.js';
import { collect, parseDuration, parsePositiveInt } from '../options.js';
import { reportError } from '../output.js';
import { abortOnInterrupt } from '../run.js';
import type { Verb } from '../verb.js';
import { progressLine, summary } from './mirror/report.js';

export interface MirrorOptions {
  config: string;
  replicas?: string[];
  watch: boolean;
  intervalMs: number;
  profile?: string;
  /** Whose credential writes every replica this run, instead of each replica's writeWith. */
  writeWith?: MirrorWriter;
  serverSide: boolean;
  concurrency?: number;
  gc: boolean;
  gcGraceMs: number;
}

interface MirrorFlags {
  config: string;
  replica?: string[];
  watch?: boolean;
  interval: string;
  profile?: string;
  writeWith?: string;
  serverSide: boolean;
  concurrency?: string;
  gc: boolean;
  gcGrace: string;
}

export function define(cmd: Command): void {
  cmd
    .requiredOption('--config <file>', 'claas.yaml naming the origin and the replicas')
    .option(
      '--replica <name>',
      'fill only this replica (repeatable; a native replica: copy its existing objects once)',
      collect,
    )
    .option('--watch', 'keep following the origin: mirror each new version it commits')
    .option('--interval <duration>', "how often --watch reads the origin's lib.json", '30s')
    .addOption(
      defaulted('--profile <name>', 'write the replicas as this AWS profile', "the origin's credentials"),
    )
    .addOption(
      defaulted(
        '--write-with <origin|replica>',
        "write with the origin's credential or each replica's own",
        "each replica's writeWith in claas.yaml, else origin",
      ),
    )
    .option('--no-server-side', 'always stream through this machine (no CopyObject)')
    .addOption(defaulted('--concurrency <n>', 'objects copied at once', '8'))
    .option(
      '--gc-grace <duration>',
      'keep superseded files at the replica this long after a newer version',
      '24h',
    )
    .option('--no-gc', 'do not remove superseded files from the replicas');
}

export function parse(_args: [], flags: MirrorFlags): MirrorOptions {
  return {
    config: flags.config,
    ...(flags.replica === undefined ? {} : { replicas: flags.replica }),
    watch: flags.watch === true,
    intervalMs: parseDuration(flags.interval, '--interval'),
    ...(flags.profile === undefined ? {} : { profile: flags.profile }),
    ...(flags.writeWith === undefined ? {} : { writeWith: parseWriteWith(flags) }),
    serverSide: flags.serverSide,
    ...(flags.concurrency === undefined
      ? {}
      : { concurrency: parsePositiveInt(flags.concurrency, '--concurrency') }),
    gc: flags.gc,
    gcGraceMs: parseDuration(flags.gcGrace, '--gc-grace'),
  };
}

function parseWriteWith(flags: MirrorFlags): MirrorWriter {
  const value = flags.writeWith as MirrorWriter;
  if (!MIRROR_WRITERS.includes(value)) {
    throw badInput(`--write-with takes ${MIRROR_WRITERS.join(' or ')}; got "${value}"`, '--write-with');
  }
  if (flags.profile !== undefined) {
    throw badInput('give --profile or --write-with, not both', '--write-with');
  }
  return value;
}

/** The replicas to fill: those named, else every mode: mirror replica. */
export function mirrorTargets(config: ClaasConfig, names: string[] | undefined): ReplicaConfig[] {
  if (names === undefined || names.length === 0) {
    const mirrors = config.replicas.filter((r) => r.mode === 'mirror');
    if (mirrors.length === 0) {
      throw new ClaasError('BAD_INPUT', `${config.file} has no replica with mode: mirror`, {
        input: config.file,
        hint: 'add one, or name a native replica with --replica to copy what it holds not yet (objects written before its replication rule)',
      });
    }
    return mirrors;
  }
  const origin = storeLocation(config.origin, {});
  return names.map((name) => {
    const r = findReplica(config, name);
    if (isZoneReplica(origin, storeLocation(r, {}))) {
      throw new ClaasError(
        'BAD_INPUT',
        `replica "${r.name}" is the origin's own bucket seen through another endpoint: the store replicates it, claas cannot copy into it`,
        { input: r.name, hint: 'watch it with claas status instead' },
      );
    }
    return r;
  });
}

/** The configuration with one replica's storage class removed (the store refused it). */
function withoutStorageClass(config: ClaasConfig, name: string): ClaasConfig {
  return {
    ...config,
    replicas: config.replicas.map((r) => (r.name === name ? { ...r, storageClass: undefined } : r)),
  };
}

type RunOne = (r: ReplicaConfig) => Promise<MirrorResult>;

/** Mirrors one replica with progress on the terminal. */
function mirrorer(
  o: MirrorOptions,
  io: CliIo,
  config: ClaasConfig,
  origin: ConfiguredStore,
  signal: AbortSignal,
): RunOne {
  const choice = {
    ...(o.profile === undefined ? {} : { profile: o.profile }),
    ...(o.writeWith === undefined ? {} : { writeWith: o.writeWith }),
  };
  return async (r) => {
    const progress = progressLine(io);
    try {
      return await mirrorOnce({
        replica: r.name,
        origin,
        openDestination: (withStorageClass) =>
          openReplicaStore(withStorageClass ? config : withoutStorageClass(config, r.name), r.name, {
            write: true,
            ...choice,
          }) as Promise<ConfiguredStore>,
        writer: { replica: r.name, as: replicaWriter(config, r, choice).as, config: o.config },
        ...(r.storageClass === undefined ? {} : { storageClass: r.storageClass }),
        write: storeWriteSettings({ ...r, storageClass: undefined }),
        serverSide: o.serverSide,
        ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
        gc: o.gc,
        gcGraceMs: o.gcGraceMs,
        onEvent: (e) => progress.sink(r.name, e),
        signal,
      });
    } finally {
      progress.end();
    }
  };
}

/** Each replica once; a failing one does not stop the others. */
async function mirrorAll(
  io: CliIo,
  targets: ReplicaConfig[],
  runOne: RunOne,
  signal: AbortSignal,
): Promise<number> {
  const results: MirrorResult[] = [];
  let failure: unknown;
  for (const r of targets) {
    try {
      const result = await runOne(r);
      results.push(result);
      io.say(summary(result));
    } catch (e) {
      if (signal.aborted) throw e;
      failure ??= e;
      if (!io.json) reportError(io, e);
    }
  }
  if (io.json) {
    io.printJson({
      ok: failure === undefined,
      results,
      ...(failure === undefined ? {} : { error: (failure as ClaasError).toJSON?.() ?? String(failure) }),
    });
  }
  return failure === undefined ? 0 : exitCodeFor(failure);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Follows the origin: mirrors every replica each time it commits a new version (--json: a line each). */
async function watch(
  io: CliIo,
  targets: ReplicaConfig[],
  origin: ConfiguredStore,
  runOne: RunOne,
  intervalMs: number,
  signal: AbortSignal,
): Promise<number> {
  const mirrored = new Map<string, number>();
  const text = withMode(io, { json: false });
  io.note(`following ${origin.display} every ${Math.round(intervalMs / 1000)} s; Ctrl-C stops`);
  while (!signal.aborted) {
    let version: number | undefined;
    try {
      version = await originVersion(origin);
    } catch (e) {
      reportError(text, e);
    }
    for (const r of version === undefined ? [] : targets) {
      if (signal.aborted || mirrored.get(r.name) === version) continue;
      try {
        const result = await runOne(r);
        mirrored.set(r.name, result.version);
        if (io.json) io.printJsonLine({ ok: true, ...result });
        else io.say(summary(result));
      } catch (e) {
        if (signal.aborted) break;
        if (io.json) {
          io.printJsonLine({ ok: false, replica: r.name, error: (e as ClaasError).toJSON?.() ?? String(e) });
        }
        reportError(text, e);
      }
    }
    await sleep(intervalMs, signal);
  }
  return 0;
}

export async function run(o: MirrorOptions, io: CliIo): Promise<number> {
  const config = await loadConfig(o.config);
  const targets = mirrorTargets(config, o.replicas);
  for (const t of targets) {
    if (t.mode === 'native') {
      io.note(
        `${t.name}: mode native: copying what the store has not replicated (once; the store replicates new objects)`,
      );
    }
  }
  const origin = await openOriginStore(config);
  const { controller, dispose: stopListening } = abortOnInterrupt();
  try {
    const runOne = mirrorer(o, io, config, origin, controller.signal);
    return o.watch
      ? await watch(io, targets, origin, runOne, o.intervalMs, controller.signal)
      : await mirrorAll(io, targets, runOne, controller.signal);
  } finally {
    stopListening();
    origin.close();
  }
}

export const verb: Verb<MirrorOptions, MirrorFlags, []> = {
  name: 'mirror',
  description:
    "copy the origin's current version into mode: mirror replicas (files, item JSON, items.json, lib.json last); incremental and resumable",
  define,
  parse,
  run,
  output: { json: 'print the result as JSON on stdout (with --watch: one line per mirrored version)' },
};
