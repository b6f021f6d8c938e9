// What `claas import vcenter` and `import vcsp` share: the destination flags, opening the destination, and
// running the import with progress, Ctrl-C handling and its summary.

import type { Command } from 'commander';
import { DEFAULT_GC_GRACE_MS } from '../../../publish/publish.js';
import { importLibrary } from '../../../sources/import.js';
import type { ImportEvent, ImportOptions, ImportResult, RemoteLibrary } from '../../../sources/import.js';
import { openStore } from '../../../store/open.js';
import type { Location, ObjectStore } from '../../../store/types.js';
import { addGcFlags, addStoreFlags, defaulted } from '../../flags.js';
import type { CliIo } from '../../io.js';
import { assertUsableDestination, locationFrom, parseDuration, parsePositiveInt } from '../../options.js';
import type { StoreFlags } from '../../options.js';
import { formatBytes } from '../../output.js';
import { progressRenderer } from '../../progress.js';
import { abortOnInterrupt } from '../../run.js';

/** Where and how an import publishes. */
export interface ImportDestination {
  location: Location;
  createBucket: boolean;
  name?: string;
  description?: string;
  adopt: boolean;
  gcGraceMs: number;
  gc: boolean;
  itemConcurrency?: number;
}

export interface ImportFlags extends StoreFlags {
  to: string;
  name?: string;
  description?: string;
  adopt?: boolean;
  gcGrace?: string;
  gc: boolean;
  concurrency?: string;
  createBucket?: boolean;
}

export function addImportOptions(cmd: Command): Command {
  cmd
    .requiredOption(
      '--to <location>',
      'destination library: file:<path>, a plain path, or s3://bucket/prefix',
    )
    .addOption(
      defaulted('--name <name>', 'library name', 'the existing library name, else the source library name'),
    )
    .addOption(defaulted('--description <text>', 'library description', 'the source library description'))
    .option('--adopt', 'take over a library another tool wrote at the destination, keeping ids and versions');
  addGcFlags(cmd)
    .addOption(defaulted('--concurrency <n>', 'items downloaded at once', '2'))
    .option('--create-bucket', 'create the S3 bucket when it does not exist');
  return addStoreFlags(cmd);
}

export function destinationOf(flags: ImportFlags): ImportDestination {
  return {
    location: locationFrom(flags.to, flags),
    createBucket: flags.createBucket === true,
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.description === undefined ? {} : { description: flags.description }),
    adopt: flags.adopt ?? false,
    gcGraceMs: flags.gcGrace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(flags.gcGrace, '--gc-grace'),
    gc: flags.gc,
    ...(flags.concurrency === undefined
      ? {}
      : { itemConcurrency: parsePositiveInt(flags.concurrency, '--concurrency') }),
  };
}

export async function openDestination(d: ImportDestination): Promise<ObjectStore> {
  await assertUsableDestination(d.location);
  return openStore(d.location, d.createBucket ? { createBucket: true } : {});
}

function describe(io: CliIo, result: ImportResult): void {
  const p = result.publish;
  for (const c of p.changes) {
    if (c.kind === 'unchanged') continue;
    const v = c.kind === 'removed' ? '' : ` (v${c.fromVersion ?? 0} -> v${c.toVersion ?? 1})`;
    io.say(`  ${c.kind.padEnd(8)} ${c.name}${v}`);
  }
  const d = result.download;
  const fetched =
    `downloaded ${d.files} files (${formatBytes(d.bytes)}) of ${d.items} items` +
    (d.dedupedFiles > 0 ? `, ${d.dedupedFiles} files already at the destination` : '') +
    `, ${result.items.length - d.items} items unchanged`;
  io.say(
    p.committed
      ? `imported ${result.source.url} into ${result.location}: library "${p.library.name}" version ${p.library.version}` +
          `${p.library.previousVersion === undefined ? '' : ` (was ${p.library.previousVersion})`}; ${fetched}`
      : `${result.location} is up to date with ${result.source.url}: library "${p.library.name}" version ${p.library.version}; ${fetched}`,
  );
}

function resultJson(result: ImportResult): Record<string, unknown> {
  const p = result.publish;
  return {
    ok: true,
    source: result.source,
    location: result.location,
    library: p.library,
    committed: p.committed,
    adopted: p.adopted,
    items: result.items,
    download: result.download,
    changes: p.changes,
    upload: p.upload,
    ...(p.gc === undefined ? {} : { gc: p.gc }),
    warnings: result.warnings,
  };
}

/** Runs an import with progress, Ctrl-C handling and the summary; returns the exit code. */
export async function runImport(
  io: CliIo,
  d: ImportDestination,
  store: ObjectStore,
  remote: RemoteLibrary,
): Promise<number> {
  const progress = progressRenderer(io);
  const onEvent = (e: ImportEvent): void => {
    if (e.type === 'import-item') {
      io.note(
        `${e.action === 'reuse' ? 'unchanged' : 'fetching'} ${e.name}${e.action === 'fetch' ? `: ${e.reason}` : ''}`,
      );
      return;
    }
    if (e.type === 'import-file') return;
    if (e.type === 'warning') io.note(`warning: ${e.message}${e.input ? ` (${e.input})` : ''}`);
    progress.sink(e);
  };
  const { controller, dispose: stopListening } = abortOnInterrupt('run the same command again to continue');
  let result: ImportResult;
  try {
    const options: ImportOptions = {
      store,
      ...(d.name === undefined ? {} : { name: d.name }),
      ...(d.description === undefined ? {} : { description: d.description }),
      adopt: d.adopt,
      gcGraceMs: d.gcGraceMs,
      noGc: !d.gc,
      ...(d.itemConcurrency === undefined ? {} : { itemConcurrency: d.itemConcurrency }),
      onEvent,
      signal: controller.signal,
    };
    result = await importLibrary(remote, options);
  } finally {
    progress.stop();
    stopListening();
  }
  if (io.json) io.printJson(resultJson(result));
  else describe(io, result);
  return 0;
}
