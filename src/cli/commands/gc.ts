// `claas gc <location>`: delete superseded files older than the grace period and abort orphaned uploads.

import type { Command } from 'commander';
import { openStore } from '../../store/open.js';
import type { Location } from '../../store/types.js';
import { acquireLock } from '../../publish/lock.js';
import { collectGarbage } from '../../publish/gc.js';
import { addStoreFlags } from '../flags.js';
import type { CliIo } from '../io.js';
import { locationFrom, parseDuration } from '../options.js';
import type { StoreFlags } from '../options.js';
import { formatBytes } from '../output.js';
import type { Verb } from '../verb.js';

export interface GcOptions {
  location: Location;
  graceMs: number;
  dryRun: boolean;
}

interface GcFlags extends StoreFlags {
  gcGrace: string;
  dryRun?: boolean;
}

export function define(cmd: Command): void {
  cmd
    .argument('<location>', 'library location')
    .option(
      '--gc-grace <duration>',
      'keep superseded files this long after the commit that dropped them',
      '24h',
    )
    .option('--dry-run', 'list what would be removed');
  addStoreFlags(cmd);
}

export function parse([location]: [string], flags: GcFlags): GcOptions {
  return {
    location: locationFrom(location, flags),
    graceMs: parseDuration(flags.gcGrace, '--gc-grace'),
    dryRun: flags.dryRun ?? false,
  };
}

export async function run(o: GcOptions, io: CliIo): Promise<number> {
  const store = await openStore(o.location);
  const lock = o.dryRun ? undefined : await acquireLock(store, { operation: 'gc' });
  try {
    const r = await collectGarbage(store, { graceMs: o.graceMs, dryRun: o.dryRun });
    if (io.json) {
      io.printJson({ ok: true, dryRun: o.dryRun, ...r });
      return 0;
    }
    const verb = o.dryRun ? 'would remove' : 'removed';
    for (const k of r.deleted) io.say(`${verb} ${k}`);
    io.say(
      `${verb} ${r.deleted.length} files (${formatBytes(r.deletedBytes)}), kept ${r.kept} recent unreferenced files, ` +
        `aborted ${r.abortedUploads} orphaned uploads; live versions: ${r.liveVersions.join(', ') || 'none'}`,
    );
    return 0;
  } finally {
    await lock?.release();
  }
}

export const verb: Verb<GcOptions, GcFlags, [string]> = {
  name: 'gc',
  description:
    'remove superseded files no version within the grace period references; abort orphaned uploads',
  define,
  parse,
  run,
};
