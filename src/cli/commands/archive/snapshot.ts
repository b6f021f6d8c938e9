// `claas archive snapshot`: copy the library's current version to an archive location with a manifest (size
// and SHA-256 of every file), recorded in the audit log.

import type { Command } from 'commander';
import { resolveActor } from '../../../publish/identity.js';
import { snapshotArchive } from '../../../archive/snapshot-archive.js';
import type { SnapshotResult } from '../../../archive/snapshot-archive.js';
import { openTargetStore, resolveTarget } from '../../../archive/target.js';
import type { TargetFlags } from '../../../archive/target.js';
import { addSseFlags, addTargetFlags, defaulted } from '../../flags.js';
import type { CliIo } from '../../io.js';
import { parsePositiveInt, targetFlags } from '../../options.js';
import { formatBytes } from '../../output.js';
import type { Verb } from '../../verb.js';
import { ARCHIVE_DEFAULT, openArchive, sseOnly } from './shared.js';

export interface SnapshotOptions {
  target: TargetFlags;
  /** The archive location to write (default: <library>/.claas-archive). */
  to?: string;
  storageClass?: string;
  force: boolean;
  createBucket: boolean;
  concurrency: number;
}

interface SnapshotFlags extends TargetFlags {
  to?: string;
  storageClass?: string;
  force?: boolean;
  createBucket?: boolean;
  concurrency: string;
}

export function define(cmd: Command): void {
  cmd
    .addOption(defaulted('--to <location>', 'the archive location to write', ARCHIVE_DEFAULT))
    .option(
      '--storage-class <class>',
      'storage class of the archived file bytes (GLACIER, DEEP_ARCHIVE, STANDARD_IA...)',
    );
  addSseFlags(cmd, 'the archive', "the origin's")
    .option('--force', 'archive again even when an archive of this version exists')
    .option('--create-bucket', 'create the archive bucket when it does not exist')
    .option('--concurrency <n>', 'files copied at once', '4');
  addTargetFlags(cmd);
}

export function parse(_args: [], flags: SnapshotFlags): SnapshotOptions {
  return {
    target: targetFlags(flags),
    ...(flags.to === undefined ? {} : { to: flags.to }),
    ...(flags.storageClass === undefined ? {} : { storageClass: flags.storageClass }),
    force: flags.force ?? false,
    createBucket: flags.createBucket ?? false,
    concurrency: parsePositiveInt(flags.concurrency, '--concurrency'),
  };
}

function describe(io: CliIo, r: SnapshotResult): void {
  if (r.skipped) {
    io.say(
      `library version ${r.library.version} is archived already as ${r.id} at ${r.location} (use --force for another copy)`,
    );
    return;
  }
  io.say(
    `archived library "${r.library.name}" version ${r.library.version} as ${r.id} at ${r.location}: ` +
      `${r.files} files, ${formatBytes(r.bytes)} (${r.copies['server-side']} copied server-side, ` +
      `${r.copies.stream + r.copies.file} streamed${r.resumed ? `, ${r.copies.present} already there from the interrupted run` : ''})`,
  );
  io.say(`manifest sha256 ${r.manifestSha256} (recorded in the library's audit log)`);
}

export async function run(o: SnapshotOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const library = await openTargetStore(target);
  const sse = sseOnly(target.write);
  const storageClass = o.storageClass === undefined ? {} : { storageClass: o.storageClass };
  const archive = await openArchive(target, o.to, {
    write: { ...sse, ...storageClass },
    ...(o.createBucket ? { createBucket: true } : {}),
  });
  const r = await snapshotArchive({
    library,
    archive,
    write: sse,
    ...storageClass,
    actor: await resolveActor(library),
    force: o.force,
    concurrency: o.concurrency,
  });
  if (io.json) io.printJson({ ok: true, ...r });
  else describe(io, r);
  return 0;
}

export const verb: Verb<SnapshotOptions, SnapshotFlags, []> = {
  name: 'snapshot',
  description: "copy the library's current version with a manifest (size and SHA-256 of every file)",
  define,
  parse,
  run,
};
