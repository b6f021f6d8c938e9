// `claas archive restore <id>`: publish an archived version into the library as a new version, or copy it as
// it was (same ids and versions) into a new, empty location (--to).

import type { Command } from 'commander';
import { badInput } from '../../../errors.js';
import { resolveActor } from '../../../publish/identity.js';
import { DEFAULT_GC_GRACE_MS } from '../../../publish/publish.js';
import { restoreAsNewVersion, restoreToLocation } from '../../../archive/snapshot-archive.js';
import {
  openTargetStore,
  otherLocation,
  resolveTarget,
  targetControlPrefix,
} from '../../../archive/target.js';
import type { LibraryTarget, TargetFlags } from '../../../archive/target.js';
import { displayLocation } from '../../../store/location.js';
import { openStore } from '../../../store/open.js';
import type { ObjectStore } from '../../../store/types.js';
import { addGcFlags, addSseFlags, addTargetFlags } from '../../flags.js';
import type { CliIo } from '../../io.js';
import { parseDuration, targetFlags } from '../../options.js';
import { formatBytes } from '../../output.js';
import type { Verb } from '../../verb.js';
import { addArchiveFlag, openArchive } from './shared.js';

export interface RestoreOptions {
  id: string;
  target: TargetFlags;
  archive?: string;
  /** A new, empty location to copy the archived library into as it was; default: publish into the library. */
  to?: string;
  force: boolean;
  dryRun: boolean;
  gcGraceMs: number;
  gc: boolean;
  createBucket: boolean;
}

interface RestoreFlags extends TargetFlags {
  archive?: string;
  to?: string;
  force?: boolean;
  dryRun?: boolean;
  gcGrace?: string;
  gc: boolean;
  createBucket?: boolean;
}

export function define(cmd: Command): void {
  cmd.argument('<id>', 'archive id (claas archive list)');
  addArchiveFlag(cmd)
    .option(
      '--to <location>',
      'an empty location to write: receives the archived library as it was (same ids and versions)',
    )
    .option('--force', 'publish the archive into a library with another id')
    .option('--dry-run', 'show what would be published; write nothing (restore into the library only)');
  addGcFlags(cmd).option('--create-bucket', 'create the bucket of --to when it does not exist');
  addSseFlags(cmd, 'what is written');
  addTargetFlags(cmd);
}

export function parse([id]: [string], flags: RestoreFlags): RestoreOptions {
  if (flags.to !== undefined && flags.dryRun) {
    throw badInput('--dry-run applies to a restore into the library, not --to', '--dry-run');
  }
  return {
    id,
    target: targetFlags(flags),
    ...(flags.archive === undefined ? {} : { archive: flags.archive }),
    ...(flags.to === undefined ? {} : { to: flags.to }),
    force: flags.force ?? false,
    dryRun: flags.dryRun ?? false,
    gcGraceMs: flags.gcGrace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(flags.gcGrace, '--gc-grace'),
    gc: flags.gc,
    createBucket: flags.createBucket ?? false,
  };
}

async function restoreElsewhere(
  o: RestoreOptions & { to: string },
  io: CliIo,
  target: LibraryTarget,
  archive: ObjectStore,
): Promise<number> {
  const loc = otherLocation(o.to, target.location);
  const dest = await openStore(loc, {
    write: target.write,
    privateArea: { controlPrefix: targetControlPrefix(target) },
    ...(o.createBucket ? { createBucket: true } : {}),
  });
  const actor = await resolveActor(dest);
  const r = await restoreToLocation({ archive, id: o.id, target: dest, actor, write: target.write });
  if (io.json) io.printJson({ ok: true, mode: 'new-location', ...r });
  else {
    io.say(
      `restored library "${r.library.name}" version ${r.library.version} from archive ${o.id} into ${displayLocation(loc)}: ${r.files} files, ${formatBytes(r.bytes)}`,
    );
  }
  return 0;
}

async function restoreIntoLibrary(
  o: RestoreOptions,
  io: CliIo,
  target: LibraryTarget,
  archive: ObjectStore,
): Promise<number> {
  const library = await openTargetStore(target);
  const actor = await resolveActor(library);
  const r = await restoreAsNewVersion({
    archive,
    id: o.id,
    library,
    actor,
    write: target.write,
    force: o.force,
    dryRun: o.dryRun,
    gcGraceMs: o.gcGraceMs,
    noGc: !o.gc,
  });
  if (io.json) {
    io.printJson({
      ok: true,
      mode: 'new-version',
      id: o.id,
      restoredVersion: r.restoredVersion,
      ...r.result,
    });
    return 0;
  }
  const p = r.result.publish;
  for (const c of p.changes.filter((x) => x.kind !== 'unchanged')) {
    io.say(`  ${c.kind.padEnd(8)} ${c.name}${c.toVersion === undefined ? '' : ` -> v${c.toVersion}`}`);
  }
  io.say(
    p.dryRun
      ? `would publish library version ${r.restoredVersion} from archive ${o.id} as library version ${p.library.version}; nothing was written`
      : p.committed
        ? `published the content of library version ${r.restoredVersion} (archive ${o.id}) as library version ${p.library.version} of ${p.location}` +
          (r.result.copied.length > 0
            ? ` (${r.result.copied.length} files copied back from the archive)`
            : '')
        : `the library already has the content of archive ${o.id}: nothing to publish`,
  );
  return 0;
}

export async function run(o: RestoreOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const archive = await openArchive(target, o.archive, { read: true });
  return o.to === undefined
    ? restoreIntoLibrary(o, io, target, archive)
    : restoreElsewhere({ ...o, to: o.to }, io, target, archive);
}

export const verb: Verb<RestoreOptions, RestoreFlags, [string]> = {
  name: 'restore',
  description:
    'publish an archived version into the library as a new version, or copy it as it was into a new location (--to)',
  define,
  parse,
  run,
};
