// `claas mirror --config claas.yaml [--replica NAME] [--watch]`: copy the origin's current version into the
// replicas claas fills itself (mode: mirror), or once into a native replica (objects written before its
// replication rule existed). Resumable and incremental; --watch follows the origin.

import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { isZoneReplica } from '../../config/resolve.js';
import { storeLocation, storeWriteSettings } from '../../config/schema.js';
import type { ClaasConfig, ReplicaConfig } from '../../config/schema.js';
import { ClaasError, exitCodeFor } from '../../errors.js';
import { mirrorOnce, originVersion } from '../../replicate/mirror.js';
import type { MirrorEvent, MirrorResult } from '../../replicate/mirror.js';
import { findReplica, openOriginStore, openReplicaStore } from '../../replicate/open-stores.js';
import type { ConfiguredStore } from '../../replicate/open-stores.js';
import { collect, parseDuration, parsePositiveInt } from '../options.js';
import { formatBytes, note, printJson, reportError, say } from '../output.js';
import type { OutputMode } from '../output.js';
import { abortOnInterrupt, runCommand } from '../run.js';

interface MirrorFlags {
  config: string;
  replica?: string[];
  watch?: boolean;
  interval: string;
  profile?: string;
  serverSide: boolean;
  concurrency?: string;
  gc: boolean;
  gcGrace: string;
  json?: boolean;
  quiet?: boolean;
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

function progressLine(mode: OutputMode): { sink: (replica: string, e: MirrorEvent) => void; end(): void } {
  const tty = process.stderr.isTTY === true && !mode.json && !mode.quiet;
  let total = { objects: 0, bytes: 0 };
  let done = { objects: 0, bytes: 0 };
  let last = 0;
  const draw = (replica: string, force = false): void => {
    const now = Date.now();
    if (!tty || (!force && now - last < 200)) return;
    last = now;
    process.stderr.write(
      `\r${replica}: ${done.objects}/${total.objects} objects, ${formatBytes(done.bytes)}/${formatBytes(total.bytes)}   `,
    );
  };
  return {
    sink: (replica, e) => {
      switch (e.type) {
        case 'plan':
          total = { objects: e.toCopy, bytes: e.toCopyBytes };
          done = { objects: 0, bytes: 0 };
          note(
            mode.json ? { ...mode, quiet: true } : mode,
            e.toCopy === 0
              ? `${replica}: version ${e.version} is already there`
              : `${replica}: copying ${e.toCopy} of ${e.objects} objects (${formatBytes(e.toCopyBytes)}) for version ${e.version}` +
                  (e.previousVersion === undefined ? '' : ` (replica at version ${e.previousVersion})`),
          );
          break;
        case 'copy-progress':
          done.bytes += e.bytes;
          draw(replica);
          break;
        case 'copied':
          done.objects += 1;
          draw(replica, done.objects === total.objects);
          break;
        case 'fallback':
        case 'warning':
          if (tty) process.stderr.write('\n');
          note(mode, `${replica}: ${e.type === 'fallback' ? e.reason : e.message}`);
          break;
        default:
          break;
      }
    },
    end: () => {
      if (tty && total.objects > 0) process.stderr.write('\n');
    },
  };
}

function summary(r: MirrorResult): string {
  if (r.upToDate)
    return `${r.replica}: up to date at version ${r.version} (${r.skipped.objects} objects checked, nothing copied)`;
  const parts = [
    `${r.replica}: mirrored version ${r.version}${r.previousVersion === undefined ? '' : ` (was ${r.previousVersion})`} to ${r.to}`,
    `copied ${r.copied.objects} objects (${formatBytes(r.copied.bytes)}: ${r.serverSide.objects} server-side, ${r.streamed.objects} streamed)`,
    `${r.skipped.objects} already there`,
  ];
  if (r.repaired.length > 0) parts.push(`repaired ${r.repaired.length}`);
  if (r.gc !== undefined && r.gc.deleted > 0) parts.push(`removed ${r.gc.deleted} superseded`);
  parts.push(`in ${(r.ms / 1000).toFixed(1)} s`);
  return parts.join(', ');
}

export function registerMirror(program: Command): void {
  program
    .command('mirror')
    .description(
      "copy the origin's current version into mode: mirror replicas (files, item JSON, items.json, lib.json last); incremental and resumable",
    )
    .requiredOption('--config <file>', 'claas.yaml naming the origin and the replicas')
    .option(
      '--replica <name>',
      'fill only this replica (repeatable; a native replica: copy its existing objects once)',
      collect,
    )
    .option('--watch', 'keep following the origin: mirror each new version it commits')
    .option('--interval <duration>', "how often --watch reads the origin's lib.json", '30s')
    .option('--profile <name>', "write the replicas as this AWS profile (default: the origin's credentials)")
    .option('--no-server-side', 'always stream through this machine (no CopyObject)')
    .option('--concurrency <n>', 'objects copied at once (default 8)')
    .option(
      '--gc-grace <duration>',
      'keep superseded files at the replica this long after a newer version',
      '24h',
    )
    .option('--no-gc', 'do not remove superseded files from the replicas')
    .option('--json', 'print a machine-readable summary (with --watch: one line per mirrored version)')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (flags: MirrorFlags) => {
      await runCommand(flags, async (mode) => {
        const config = await loadConfig(flags.config);
        const targets = mirrorTargets(config, flags.replica);
        for (const t of targets) {
          if (t.mode === 'native') {
            note(
              mode,
              `${t.name}: mode native: copying what the store has not replicated (once; the store replicates new objects)`,
            );
          }
        }
        const origin = await openOriginStore(config);
        const { controller, dispose: stopListening } = abortOnInterrupt();
        try {
          const runOne = async (r: ReplicaConfig): Promise<MirrorResult> => {
            const progress = progressLine(mode);
            try {
              return await mirrorOnce({
                replica: r.name,
                origin,
                openDestination: (withStorageClass) =>
                  openReplicaStore(withStorageClass ? config : withoutStorageClass(config, r.name), r.name, {
                    write: true,
                    ...(flags.profile === undefined ? {} : { profile: flags.profile }),
                  }) as Promise<ConfiguredStore>,
                ...(r.storageClass === undefined ? {} : { storageClass: r.storageClass }),
                write: storeWriteSettings({ ...r, storageClass: undefined }),
                serverSide: flags.serverSide,
                ...(flags.concurrency === undefined
                  ? {}
                  : { concurrency: parsePositiveInt(flags.concurrency, '--concurrency') }),
                gc: flags.gc,
                gcGraceMs: parseDuration(flags.gcGrace, '--gc-grace'),
                onEvent: (e) => progress.sink(r.name, e),
                signal: controller.signal,
              });
            } finally {
              progress.end();
            }
          };
          if (!flags.watch) {
            const results: MirrorResult[] = [];
            let failure: unknown;
            for (const r of targets) {
              try {
                const result = await runOne(r);
                results.push(result);
                say(mode, summary(result));
              } catch (e) {
                if (controller.signal.aborted) throw e;
                failure ??= e;
                if (!mode.json) reportError(mode, e);
              }
            }
            if (mode.json) {
              printJson({
                ok: failure === undefined,
                results,
                ...(failure === undefined
                  ? {}
                  : { error: (failure as ClaasError).toJSON?.() ?? String(failure) }),
              });
            }
            return failure === undefined ? 0 : exitCodeFor(failure);
          }
          return await watch(
            mode,
            targets,
            origin,
            runOne,
            parseDuration(flags.interval, '--interval'),
            controller.signal,
          );
        } finally {
          stopListening();
          origin.close();
        }
      });
    });
}

/** The configuration with one replica's storage class removed (the store refused it). */
function withoutStorageClass(config: ClaasConfig, name: string): ClaasConfig {
  return {
    ...config,
    replicas: config.replicas.map((r) => (r.name === name ? { ...r, storageClass: undefined } : r)),
  };
}

async function watch(
  mode: OutputMode,
  targets: ReplicaConfig[],
  origin: ConfiguredStore,
  runOne: (r: ReplicaConfig) => Promise<MirrorResult>,
  intervalMs: number,
  signal: AbortSignal,
): Promise<number> {
  const mirrored = new Map<string, number>();
  note(mode, `following ${origin.display} every ${Math.round(intervalMs / 1000)} s; Ctrl-C stops`);
  while (!signal.aborted) {
    let version: number | undefined;
    try {
      version = await originVersion(origin);
    } catch (e) {
      reportError({ ...mode, json: false }, e);
    }
    if (version !== undefined) {
      for (const r of targets) {
        if (signal.aborted || mirrored.get(r.name) === version) continue;
        try {
          const result = await runOne(r);
          mirrored.set(r.name, result.version);
          if (mode.json) process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
          else say(mode, summary(result));
        } catch (e) {
          if (signal.aborted) break;
          if (mode.json) {
            process.stdout.write(
              `${JSON.stringify({ ok: false, replica: r.name, error: (e as ClaasError).toJSON?.() ?? String(e) })}\n`,
            );
          }
          reportError({ ...mode, json: false }, e);
        }
      }
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, intervalMs);
      signal.addEventListener('abort', done, { once: true });
    });
  }
  return 0;
}
