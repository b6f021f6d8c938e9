// `claas archive list`: the archives at the archive location, complete or interrupted.

import type { Command } from 'commander';
import { listArchives } from '../../../archive/snapshot-archive.js';
import type { ArchiveSummary } from '../../../archive/snapshot-archive.js';
import { resolveTarget } from '../../../archive/target.js';
import type { TargetFlags } from '../../../archive/target.js';
import { addTargetFlags } from '../../flags.js';
import type { CliIo } from '../../io.js';
import { targetFlags } from '../../options.js';
import { formatBytes } from '../../output.js';
import type { Verb } from '../../verb.js';
import { addArchiveFlag, openArchive } from './shared.js';

export interface ListOptions {
  target: TargetFlags;
  archive?: string;
}

interface ListFlags extends TargetFlags {
  archive?: string;
}

export function define(cmd: Command): void {
  addArchiveFlag(cmd);
  addTargetFlags(cmd);
}

export function parse(_args: [], flags: ListFlags): ListOptions {
  return { target: targetFlags(flags), ...(flags.archive === undefined ? {} : { archive: flags.archive }) };
}

function archiveJson(a: ArchiveSummary): Record<string, unknown> {
  return {
    id: a.id,
    complete: a.complete,
    ...(a.manifest === undefined
      ? {}
      : {
          library: a.manifest.library,
          createdAt: a.manifest.createdAt,
          actor: a.manifest.actor.name,
          storageClass: a.manifest.storageClass,
          encryption: a.manifest.encryption,
          files: a.manifest.totals.files,
          bytes: a.manifest.totals.bytes,
          manifestSha256: a.manifestSha256,
        }),
    ...(a.pending === undefined ? {} : { pending: a.pending }),
  };
}

function archiveLine(a: ArchiveSummary): string {
  const m = a.manifest;
  if (m === undefined) return `${a.id}  INCOMPLETE (interrupted; \`claas archive snapshot\` continues it)`;
  return (
    `${a.id}  library "${m.library.name}" version ${m.library.version}  archived ${m.createdAt} by ${m.actor.name}  ` +
    `${m.totals.files} files ${formatBytes(m.totals.bytes)}${m.storageClass ? `  ${m.storageClass}` : ''}${m.encryption ? `  ${m.encryption.sse}` : ''}`
  );
}

export async function run(o: ListOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const store = await openArchive(target, o.archive, { read: true });
  const archives = await listArchives(store);
  if (io.json) {
    io.printJson({ ok: true, location: store.display, archives: archives.map(archiveJson) });
    return 0;
  }
  if (archives.length === 0) io.say(`no archives at ${store.display}`);
  for (const a of archives) io.say(archiveLine(a));
  return 0;
}

export const verb: Verb<ListOptions, ListFlags, []> = {
  name: 'list',
  description: 'list the archives at the archive location',
  define,
  parse,
  run,
};
