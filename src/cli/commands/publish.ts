// `claas publish <folder> --to <location>`: publish a folder of templates, ISOs and files as a library.

import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { ClaasError } from '../../errors.js';
import { locationDefaults } from '../../store/location.js';
import { openStore } from '../../store/open.js';
import type { Location, ObjectStore, WriteSettings } from '../../store/types.js';
import { storeLocation, storeWriteSettings } from '../../config/schema.js';
import { readFolderSource } from '../../sources/folder.js';
import { publish, DEFAULT_GC_GRACE_MS } from '../../publish/publish.js';
import type { PublishResult } from '../../publish/publish.js';
import { readLibraryState } from '../../publish/state.js';
import { EarlyUploads } from '../../publish/early-uploads.js';
import type { PublishEvent } from '../../publish/events.js';
import {
  collect,
  locationFrom,
  parseDuration,
  parsePositiveInt,
  parseSize,
  writeSettingsFrom,
} from '../options.js';
import type { StoreFlags } from '../options.js';
import { formatBytes, note, printJson, say } from '../output.js';
import type { OutputMode } from '../output.js';
import { progressRenderer } from '../progress.js';
import { abortOnInterrupt, runCommand } from '../run.js';

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
  concurrency?: string;
  createBucket?: boolean;
  multipartThreshold?: string;
  partSize?: string;
  parts?: string;
  json?: boolean;
  quiet?: boolean;
}

export async function assertUsableDestination(loc: Location): Promise<void> {
  if (loc.kind !== 'fs') return;
  const st = await stat(loc.path).catch(() => undefined);
  if (st !== undefined && !st.isDirectory()) {
    throw new ClaasError('BAD_INPUT', `destination ${loc.path} is a file, not a folder`, {
      input: loc.path,
      hint: 'give a folder (new or empty, or an existing library) as --to',
    });
  }
}

/** Where to publish: --to, or the origin of --config (flags given beside --config override it). */
async function destinationFrom(
  flags: PublishFlags,
): Promise<{ location: Location; write: WriteSettings; library?: string }> {
  if (flags.to !== undefined && flags.config !== undefined) {
    throw new ClaasError('BAD_INPUT', '--to and --config both name a destination', {
      input: '--to',
      hint: 'give one: --to <location>, or --config claas.yaml to publish to its origin',
    });
  }
  if (flags.config !== undefined) {
    // Loaded only with --config: the YAML parser is start-up time a plain publish does not need.
    const { loadConfig } = await import('../../config/load.js');
    const config = await loadConfig(flags.config);
    const origin = config.origin;
    const location = storeLocation({ ...origin, ...locationDefaults(flags) });
    return { location, write: storeWriteSettings(origin), library: config.library };
  }
  if (flags.to === undefined) {
    throw new ClaasError('BAD_INPUT', 'publish needs a destination', {
      input: 'claas publish',
      hint: 'add --to <location> (a folder, file:<path> or s3://bucket/prefix) or --config claas.yaml',
    });
  }
  return { location: locationFrom(flags.to, flags), write: {} };
}

export function addStoreFlags(cmd: Command): Command {
  return cmd
    .option(
      '--endpoint <url>',
      'S3 endpoint URL for S3-compatible stores (default: AWS, or $AWS_ENDPOINT_URL_S3)',
    )
    .option('--region <region>', 'S3 region (default: $AWS_REGION or us-east-1)')
    .option(
      '--profile <name>',
      'AWS profile from the shared config/credentials files (default: the standard chain)',
    )
    .option(
      '--store-timeout <duration>',
      'give up on an S3 store that has not answered for this long (default 5m, or $CLAAS_STORE_TIMEOUT; 0 = never)',
    );
}

function describePlan(mode: OutputMode, r: PublishResult): void {
  for (const c of r.changes) {
    if (c.kind === 'unchanged') continue;
    const v = c.kind === 'removed' ? '' : ` (v${c.fromVersion ?? 0} -> v${c.toVersion ?? 1})`;
    say(mode, `  ${c.kind.padEnd(8)} ${c.name}${v}${c.reasons.length ? `: ${c.reasons.join('; ')}` : ''}`);
  }
}

export function registerPublish(program: Command): void {
  const cmd = program
    .command('publish')
    .description(
      'publish a folder (subfolders = OVF templates or files; .ova/.iso/other files = items) as a library',
    )
    .argument('<folder>', 'source folder')
    .option('--to <location>', 'destination: file:<path>, a plain path, or s3://bucket/prefix')
    .option(
      '--config <file>',
      'claas.yaml: publish to the origin it names (with its endpoint, region, profile, encryption)',
    )
    .option('--name <name>', 'library name (default: the existing library name, else the folder name)')
    .option('--description <text>', 'library description')
    .option('--dry-run', 'print the plan and write nothing')
    .option(
      '--adopt',
      'take over a library another tool wrote (e.g. make_vcsp_2018.py), keeping ids and versions',
    )
    .option('--gc-grace <duration>', 'keep superseded files this long for subscribers mid-sync', '24h')
    .option('--no-gc', 'do not delete superseded files after the commit')
    .option('--no-cache', 'hash every file again instead of trusting the path/size/mtime cache')
    .option('--concurrency <n>', 'files transferred at once')
    .option('--create-bucket', 'create the S3 bucket when it does not exist')
    .option('--multipart-threshold <size>', 'S3: upload files from this size on in parts (default 64MiB)')
    .option(
      '--part-size <size>',
      'S3: smallest part size (default 8MiB; grows with the file so any file fits in 10,000 parts)',
    )
    .option('--parts <n>', 'S3: parts in flight per file (default 4)')
    .option('--storage-class <class>', 'S3 storage class for data files (e.g. STANDARD_IA, ONEZONE_IA)')
    .option('--sse <mode>', 'server-side encryption: AES256 or aws:kms')
    .option('--kms-key-id <id>', 'KMS key for --sse aws:kms')
    .option('--tag <key=value>', 'object tag for data files (repeatable)', collect)
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'print nothing but errors');
  addStoreFlags(cmd);
  cmd.action(async (folder: string, flags: PublishFlags) => {
    await runCommand(flags, async (mode) => {
      const target = await destinationFrom(flags);
      const loc = target.location;
      await assertUsableDestination(loc);
      const store: ObjectStore = await openStore(loc, {
        write: { ...target.write, ...writeSettingsFrom(flags) },
        ...(flags.createBucket ? { createBucket: true } : {}),
        ...(flags.multipartThreshold === undefined
          ? {}
          : { multipartThreshold: parseSize(flags.multipartThreshold, '--multipart-threshold') }),
        ...(flags.partSize === undefined ? {} : { minPartSize: parseSize(flags.partSize, '--part-size') }),
        ...(flags.parts === undefined ? {} : { partConcurrency: parsePositiveInt(flags.parts, '--parts') }),
      });
      // The destination's state is read while the folder is scanned; a wrong destination stops the scan at
      // once, and nothing is written before the state is known (early uploads wait for it).
      const reading = readLibraryState(store);
      reading.catch(() => undefined); // awaited below; a rejection must not count as unhandled meanwhile
      const progress = progressRenderer(mode);
      const warnings: string[] = [];
      const onEvent = (e: PublishEvent): void => {
        progress.sink(e);
        if (e.type === 'warning') {
          warnings.push(`${e.message}${e.input ? ` (${e.input})` : ''}`);
          note(mode, `warning: ${e.message}${e.input ? ` (${e.input})` : ''}`);
        }
        if (e.type === 'scan-done') {
          note(
            mode,
            `scanned ${e.items} items, ${e.files} files, ${formatBytes(e.bytes)} (hashed ${formatBytes(e.hashedBytes)}, ${e.cachedFiles} files from cache)`,
          );
        }
      };
      const { controller, dispose: stopListening } = abortOnInterrupt();
      let result: PublishResult;
      let early: EarlyUploads | undefined;
      try {
        // Large new files start uploading as soon as they are hashed (not for --dry-run, nor over a
        // library another tool wrote, whose files keep their own keys when adopted).
        early = flags.dryRun
          ? undefined
          : new EarlyUploads(store, {
              knownHashes: reading.then((s) =>
                s.kind === 'foreign'
                  ? undefined
                  : new Set(s.kind === 'claas' ? Object.values(s.snapshot.hashes) : []),
              ),
            });
        const scanning = readFolderSource(folder, {
          cacheFile: flags.cache ? undefined : null,
          onEvent,
          signal: controller.signal,
          ...(early === undefined ? {} : { onFileHashed: (f) => early!.offer(f) }),
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
        const name = flags.name ?? target.library;
        result = await publish(input, {
          store,
          state,
          ...(name === undefined ? {} : { name }),
          ...(flags.description === undefined ? {} : { description: flags.description }),
          dryRun: flags.dryRun ?? false,
          adopt: flags.adopt ?? false,
          gcGraceMs:
            flags.gcGrace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(flags.gcGrace, '--gc-grace'),
          noGc: !flags.gc,
          ...(flags.concurrency === undefined
            ? {}
            : { concurrency: parsePositiveInt(flags.concurrency, '--concurrency') }),
          onEvent,
          signal: controller.signal,
          ...(early === undefined ? {} : { early }),
        });
      } finally {
        // Early uploads the plan did not take (or all of them, after an error) stop here; an interrupted
        // one resumes like any other on the next run, and gc removes what no version references.
        await early?.stop();
        progress.stop();
        stopListening();
      }
      if (mode.json) {
        printJson({ ok: true, ...result, warnings });
        return 0;
      }
      const lib = result.library;
      if (result.dryRun) {
        say(mode, `plan for ${result.location} (library "${lib.name}", would be version ${lib.version}):`);
        describePlan(mode, result);
        say(
          mode,
          `would upload ${result.upload.files} files (${formatBytes(result.upload.bytes)}); nothing was written`,
        );
        return 0;
      }
      if (!result.committed) {
        say(
          mode,
          `${result.location} is up to date: library "${lib.name}" version ${lib.version}, nothing changed`,
        );
        return 0;
      }
      describePlan(mode, result);
      say(
        mode,
        `published library "${lib.name}" version ${lib.version}${lib.previousVersion === undefined ? '' : ` (was ${lib.previousVersion})`} to ${result.location}: ` +
          `uploaded ${result.upload.files} files (${formatBytes(result.upload.bytes)})` +
          (result.upload.reusedFiles > 0 ? `, ${result.upload.reusedFiles} already there` : '') +
          (result.upload.resumedFiles > 0
            ? `, resumed ${result.upload.resumedFiles} interrupted uploads (${result.upload.partsReused} parts kept, ${result.upload.partsSent} sent)`
            : '') +
          (result.gc && result.gc.deleted.length > 0
            ? `, removed ${result.gc.deleted.length} superseded files`
            : ''),
      );
      return 0;
    });
  });
}
