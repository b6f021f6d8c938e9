// `claas publish <folder> --to <location>`: publish a folder of templates, ISOs and files as a library.

import type { Command } from 'commander';
import { ClaasError } from '../../errors.js';
import { locationDefaults } from '../../store/location.js';
import type { LocationDefaults } from '../../store/location.js';
import { openStore } from '../../store/open.js';
import type { OpenStoreOptions } from '../../store/open.js';
import type { Location, ObjectStore, WriteSettings } from '../../store/types.js';
import { storeLocation, storeWriteSettings } from '../../config/schema.js';
import { readFolderSource } from '../../sources/folder.js';
import { publish, DEFAULT_GC_GRACE_MS } from '../../publish/publish.js';
import type { PublishResult } from '../../publish/publish.js';
import { readLibraryState } from '../../publish/state.js';
import { EarlyUploads } from '../../publish/early-uploads.js';
import type { PublishEvent } from '../../publish/events.js';
import { addGcFlags, addStoreFlags, defaulted } from '../flags.js';
import type { CliIo } from '../io.js';
import {
  assertUsableDestination,
  collect,
  locationFrom,
  parseDuration,
  parsePositiveInt,
  parseSize,
  writeSettingsFrom,
} from '../options.js';
import type { StoreFlags } from '../options.js';
import { formatBytes } from '../output.js';
import { progressRenderer } from '../progress.js';
import { abortOnInterrupt } from '../run.js';
import type { Verb } from '../verb.js';

/** Where to publish: a location, or the origin of a claas.yaml (with endpoint/region/profile overrides). */
export type PublishDestination =
  { kind: 'location'; location: Location } | { kind: 'config'; file: string; overrides: LocationDefaults };

export interface PublishOptions {
  folder: string;
  destination: PublishDestination;
  /** Storage class, encryption and tags of the data files (over the configuration's). */
  write: WriteSettings;
  store: Pick<OpenStoreOptions, 'createBucket' | 'multipartThreshold' | 'minPartSize' | 'partConcurrency'>;
  name?: string;
  description?: string;
  dryRun: boolean;
  adopt: boolean;
  gcGraceMs: number;
  gc: boolean;
  /** false: hash every file again instead of trusting the hash cache. */
  cache: boolean;
  /** Publish what symbolic links point to even outside the source folder. */
  followSymlinks: boolean;
  concurrency?: number;
}

interface PublishFlags extends StoreFlags {
  to?: string;
  config?: string;
  name?: string;
  description?: string;
  dryRun?: boolean;
  adopt?: boolean;
  gcGrace: string;
  gc: boolean;
  cache: boolean;
  followSymlinks?: boolean;
  concurrency?: string;
  createBucket?: boolean;
  multipartThreshold?: string;
  partSize?: string;
  parts?: string;
}

export function define(cmd: Command): void {
  cmd
    .argument('<folder>', 'source folder')
    .option('--to <location>', 'destination: file:<path>, a plain path, or s3://bucket/prefix')
    .option(
      '--config <file>',
      'claas.yaml: publish to the origin it names (with its endpoint, region, profile, encryption)',
    )
    .addOption(defaulted('--name <name>', 'library name', 'the existing library name, else the folder name'))
    .option('--description <text>', 'library description')
    .option('--dry-run', 'print the plan and write nothing')
    .option(
      '--adopt',
      'take over a library another tool wrote (e.g. make_vcsp_2018.py), keeping ids and versions',
    );
  addGcFlags(cmd)
    .option('--no-cache', 'hash every file again instead of trusting the path/size/mtime cache')
    .option('--follow-symlinks', 'publish what symbolic links point to even outside the source folder')
    .addOption(defaulted('--concurrency <n>', 'files transferred at once', '4'))
    .option('--create-bucket', 'create the S3 bucket when it does not exist')
    .addOption(
      defaulted('--multipart-threshold <size>', 'S3: upload files from this size on in parts', '64MiB'),
    )
    .addOption(
      defaulted(
        '--part-size <size>',
        'S3: smallest part size; grows with the file so any file fits in 10,000 parts',
        '8MiB',
      ),
    )
    .addOption(defaulted('--parts <n>', 'S3: parts in flight per file', '4'))
    .option('--storage-class <class>', 'S3 storage class for data files (e.g. STANDARD_IA, ONEZONE_IA)')
    .option('--sse <mode>', 'server-side encryption: AES256 or aws:kms')
    .option('--kms-key-id <id>', 'KMS key for --sse aws:kms')
    .option('--tag <key=value>', 'object tag for data files (repeatable)', collect);
  addStoreFlags(cmd);
}

function destinationFrom(flags: PublishFlags): PublishDestination {
  if (flags.to !== undefined && flags.config !== undefined) {
    throw new ClaasError('BAD_INPUT', '--to and --config both name a destination', {
      input: '--to',
      hint: 'give one: --to <location>, or --config claas.yaml to publish to its origin',
    });
  }
  if (flags.config !== undefined) {
    return { kind: 'config', file: flags.config, overrides: locationDefaults(flags) };
  }
  if (flags.to === undefined) {
    throw new ClaasError('BAD_INPUT', 'publish needs a destination', {
      input: 'claas publish',
      hint: 'add --to <location> (a folder, file:<path> or s3://bucket/prefix) or --config claas.yaml',
    });
  }
  return { kind: 'location', location: locationFrom(flags.to, flags) };
}

export function parse([folder]: [string], flags: PublishFlags): PublishOptions {
  const destination = destinationFrom(flags);
  return {
    folder,
    destination,
    write: writeSettingsFrom(flags),
    store: {
      ...(flags.createBucket ? { createBucket: true } : {}),
      ...(flags.multipartThreshold === undefined
        ? {}
        : { multipartThreshold: parseSize(flags.multipartThreshold, '--multipart-threshold') }),
      ...(flags.partSize === undefined ? {} : { minPartSize: parseSize(flags.partSize, '--part-size') }),
      ...(flags.parts === undefined ? {} : { partConcurrency: parsePositiveInt(flags.parts, '--parts') }),
    },
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.description === undefined ? {} : { description: flags.description }),
    dryRun: flags.dryRun ?? false,
    adopt: flags.adopt ?? false,
    gcGraceMs: flags.gcGrace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(flags.gcGrace, '--gc-grace'),
    gc: flags.gc,
    cache: flags.cache,
    followSymlinks: flags.followSymlinks === true,
    ...(flags.concurrency === undefined
      ? {}
      : { concurrency: parsePositiveInt(flags.concurrency, '--concurrency') }),
  };
}

/** The destination's location, write settings and library name (from --config). */
async function resolveDestination(
  d: PublishDestination,
): Promise<{ location: Location; write: WriteSettings; library?: string; controlPrefix?: string }> {
  if (d.kind === 'location') return { location: d.location, write: {} };
  // Loaded only with --config: the YAML parser is start-up time a plain publish does not need.
  const { loadConfig } = await import('../../config/load.js');
  const config = await loadConfig(d.file);
  const origin = config.origin;
  return {
    location: storeLocation({ ...origin, ...d.overrides }),
    write: storeWriteSettings(origin),
    library: config.library,
    // The library's private data lives under the configuration's control prefix (issue 16).
    ...(config.gateway?.controlPrefix === undefined ? {} : { controlPrefix: config.gateway.controlPrefix }),
  };
}

/** Publish events as progress bars and notes; warnings are kept for the JSON summary. */
function eventSink(io: CliIo): { onEvent: (e: PublishEvent) => void; warnings: string[]; stop(): void } {
  const progress = progressRenderer(io);
  const warnings: string[] = [];
  const onEvent = (e: PublishEvent): void => {
    progress.sink(e);
    if (e.type === 'warning') {
      warnings.push(`${e.message}${e.input ? ` (${e.input})` : ''}`);
      io.note(`warning: ${e.message}${e.input ? ` (${e.input})` : ''}`);
    }
    if (e.type === 'scan-done') {
      io.note(
        `scanned ${e.items} items, ${e.files} files, ${formatBytes(e.bytes)} (hashed ${formatBytes(e.hashedBytes)}, ${e.cachedFiles} files from cache)`,
      );
    }
  };
  return { onEvent, warnings, stop: () => progress.stop() };
}

/**
 * Scans the folder while the destination's state is read, starting large new files' uploads as soon as they
 * are hashed, then publishes. A wrong destination stops the scan at once; nothing is written before the
 * state is known (early uploads wait for it).
 */
async function scanAndPublish(
  o: PublishOptions,
  store: ObjectStore,
  library: string | undefined,
  events: { onEvent: (e: PublishEvent) => void },
): Promise<PublishResult> {
  const reading = readLibraryState(store);
  reading.catch(() => undefined); // awaited below; a rejection must not count as unhandled meanwhile
  const { controller, dispose: stopListening } = abortOnInterrupt();
  let early: EarlyUploads | undefined;
  try {
    // Not for --dry-run, nor over a library another tool wrote, whose files keep their own keys when adopted.
    early = o.dryRun
      ? undefined
      : new EarlyUploads(store, {
          knownHashes: reading.then((s) =>
            s.kind === 'foreign'
              ? undefined
              : new Set(s.kind === 'claas' ? Object.values(s.snapshot.hashes) : []),
          ),
        });
    const scanning = readFolderSource(o.folder, {
      cacheFile: o.cache ? undefined : null,
      onEvent: events.onEvent,
      signal: controller.signal,
      ...(early === undefined ? {} : { onFileHashed: (f) => early!.offer(f) }),
      ...(o.followSymlinks ? { followSymlinks: true } : {}),
    });
    scanning.catch(() => undefined);
    let state: Awaited<typeof reading>;
    try {
      state = await reading;
    } catch (e) {
      controller.abort(e);
      await scanning.catch(() => undefined);
      throw e;
    }
    const input = await scanning;
    const name = o.name ?? library;
    return await publish(input, {
      store,
      state,
      ...(name === undefined ? {} : { name }),
      ...(o.description === undefined ? {} : { description: o.description }),
      dryRun: o.dryRun,
      adopt: o.adopt,
      gcGraceMs: o.gcGraceMs,
      noGc: !o.gc,
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      onEvent: events.onEvent,
      signal: controller.signal,
      ...(early === undefined ? {} : { early }),
    });
  } finally {
    // Early uploads the plan did not take (or all of them, after an error) stop here; an interrupted one
    // resumes like any other on the next run, and gc removes what no version references.
    await early?.stop();
    stopListening();
  }
}

function describePlan(io: CliIo, r: PublishResult): void {
  for (const c of r.changes) {
    if (c.kind === 'unchanged') continue;
    const v = c.kind === 'removed' ? '' : ` (v${c.fromVersion ?? 0} -> v${c.toVersion ?? 1})`;
    io.say(`  ${c.kind.padEnd(8)} ${c.name}${v}${c.reasons.length ? `: ${c.reasons.join('; ')}` : ''}`);
  }
}

function describeResult(io: CliIo, result: PublishResult): void {
  const lib = result.library;
  if (result.dryRun) {
    io.say(`plan for ${result.location} (library "${lib.name}", would be version ${lib.version}):`);
    describePlan(io, result);
    io.say(
      `would upload ${result.upload.files} files (${formatBytes(result.upload.bytes)}); nothing was written`,
    );
    return;
  }
  if (!result.committed) {
    io.say(`${result.location} is up to date: library "${lib.name}" version ${lib.version}, nothing changed`);
    return;
  }
  describePlan(io, result);
  const u = result.upload;
  io.say(
    `published library "${lib.name}" version ${lib.version}${lib.previousVersion === undefined ? '' : ` (was ${lib.previousVersion})`} to ${result.location}: ` +
      `uploaded ${u.files} files (${formatBytes(u.bytes)})` +
      (u.reusedFiles > 0 ? `, ${u.reusedFiles} already there` : '') +
      (u.resumedFiles > 0
        ? `, resumed ${u.resumedFiles} interrupted uploads (${u.partsReused} parts kept, ${u.partsSent} sent)`
        : '') +
      (result.gc && result.gc.deleted.length > 0
        ? `, removed ${result.gc.deleted.length} superseded files`
        : ''),
  );
}

export async function run(o: PublishOptions, io: CliIo): Promise<number> {
  const target = await resolveDestination(o.destination);
  await assertUsableDestination(target.location);
  const store = await openStore(target.location, {
    write: { ...target.write, ...o.write },
    ...o.store,
    ...(target.controlPrefix === undefined ? {} : { privateArea: { controlPrefix: target.controlPrefix } }),
  });
  const events = eventSink(io);
  let result: PublishResult;
  try {
    result = await scanAndPublish(o, store, target.library, events);
  } finally {
    events.stop();
  }
  if (io.json) io.printJson({ ok: true, ...result, warnings: events.warnings });
  else describeResult(io, result);
  return 0;
}

export const verb: Verb<PublishOptions, PublishFlags, [string]> = {
  name: 'publish',
  description:
    'publish a folder (subfolders = OVF templates or files; .ova/.iso/other files = items) as a library',
  define,
  parse,
  run,
};
