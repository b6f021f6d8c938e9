// `claas gc <location>`: delete superseded files older than the grace period and abort orphaned uploads.

import type { Command } from 'commander';
import { openStore } from '../../store/open.js';
import { acquireLock } from '../../publish/lock.js';
import { collectGarbage } from '../../publish/gc.js';
import { locationFrom, parseDuration } from '../options.js';
import type { StoreFlags } from '../options.js';
import { formatBytes, printJson, say } from '../output.js';
import { runCommand } from '../run.js';
import { addStoreFlags } from './publish.js';

interface GcFlags extends StoreFlags {
  gcGrace: string;
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerGc(program: Command): void {
  const cmd = program
    .command('gc')
    .description(
      'remove superseded files no version within the grace period references; abort orphaned uploads',
    )
    .argument('<location>', 'library location')
    .option(
      '--gc-grace <duration>',
      'keep superseded files this long after the commit that dropped them',
      '24h',
    )
    .option('--dry-run', 'list what would be removed')
    .option('--json', 'print a machine-readable summary')
    .option('-q, --quiet', 'print nothing but errors');
  addStoreFlags(cmd);
  cmd.action(async (location: string, flags: GcFlags) => {
    await runCommand(flags, async (mode) => {
      const store = await openStore(locationFrom(location, flags));
      const lock = flags.dryRun ? undefined : await acquireLock(store, { operation: 'gc' });
      try {
        const r = await collectGarbage(store, {
          graceMs: parseDuration(flags.gcGrace, '--gc-grace'),
          dryRun: flags.dryRun ?? false,
        });
        if (mode.json) printJson({ ok: true, dryRun: flags.dryRun ?? false, ...r });
        else {
          for (const k of r.deleted) say(mode, `${flags.dryRun ? 'would remove' : 'removed'} ${k}`);
          say(
            mode,
            `${flags.dryRun ? 'would remove' : 'removed'} ${r.deleted.length} files (${formatBytes(r.deletedBytes)}), kept ${r.kept} recent unreferenced files, ` +
              `aborted ${r.abortedUploads} orphaned uploads; live versions: ${r.liveVersions.join(', ') || 'none'}`,
          );
        }
        return 0;
      } finally {
        await lock?.release();
      }
    });
  });
}
