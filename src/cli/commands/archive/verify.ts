// `claas archive verify [id]`: re-read every archived file and check its size and SHA-256 against the
// manifest (and the manifest against the audit log).

import type { Command } from 'commander';
import { EXIT, badInput } from '../../../errors.js';
import { listArchives, verifyArchive } from '../../../archive/snapshot-archive.js';
import type { ArchiveVerifyReport } from '../../../archive/snapshot-archive.js';
import { openTargetStore, resolveTarget } from '../../../archive/target.js';
import type { TargetFlags } from '../../../archive/target.js';
import { addTargetFlags } from '../../flags.js';
import type { CliIo } from '../../io.js';
import { parsePositiveInt, targetFlags } from '../../options.js';
import { formatBytes } from '../../output.js';
import type { Verb } from '../../verb.js';
import { addArchiveFlag, openArchive } from './shared.js';

export interface ArchiveVerifyOptions {
  target: TargetFlags;
  /** One archive; default: every complete archive. */
  id?: string;
  archive?: string;
  concurrency: number;
}

interface ArchiveVerifyFlags extends TargetFlags {
  archive?: string;
  concurrency: string;
}

export function define(cmd: Command): void {
  cmd.argument('[id]', 'archive id (default: every complete archive)');
  addArchiveFlag(cmd).option('--concurrency <n>', 'files checked at once', '4');
  addTargetFlags(cmd);
}

export function parse([id]: [string | undefined], flags: ArchiveVerifyFlags): ArchiveVerifyOptions {
  return {
    target: targetFlags(flags),
    ...(id === undefined ? {} : { id }),
    ...(flags.archive === undefined ? {} : { archive: flags.archive }),
    concurrency: parsePositiveInt(flags.concurrency, '--concurrency'),
  };
}

function printReport(io: CliIo, r: ArchiveVerifyReport): void {
  for (const p of r.problems) {
    io.result(`${p.problem === 'extra' ? 'warning' : 'ERROR  '} ${r.id}/${p.key}: ${p.message}`);
  }
  const summary = `archive ${r.id} (library version ${r.library?.version ?? '?'}): ${r.checked}/${r.files} files checked, ${formatBytes(r.bytes)}`;
  const audit =
    r.auditMatch === true
      ? ', manifest matches the audit log'
      : r.auditMatch === false
        ? ', manifest differs from the audit log'
        : '';
  io.result(r.ok ? `OK ${summary}${audit}` : `FAILED ${summary}${audit}`);
}

export async function run(o: ArchiveVerifyOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const library = await openTargetStore(target);
  const store = await openArchive(target, o.archive, { read: true });
  const ids =
    o.id !== undefined ? [o.id] : (await listArchives(store)).filter((a) => a.complete).map((a) => a.id);
  if (ids.length === 0) throw badInput(`no complete archive at ${store.display}`, store.display);
  const reports: ArchiveVerifyReport[] = [];
  for (const one of ids)
    reports.push(await verifyArchive(store, one, { library, concurrency: o.concurrency }));
  const ok = reports.every((r) => r.ok);
  if (io.json) io.printJson({ ok, location: store.display, archives: reports });
  else for (const r of reports) printReport(io, r);
  return ok ? EXIT.OK : EXIT.FAILED;
}

export const verb: Verb<ArchiveVerifyOptions, ArchiveVerifyFlags, [string | undefined]> = {
  name: 'verify',
  description: 're-read every archived file and check its size and SHA-256 against the manifest',
  define,
  parse,
  run,
  output: { quiet: "print nothing but errors, the problems found and each archive's verdict" },
};
