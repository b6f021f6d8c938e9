// `claas rollback <item> --to <item-version>`: publish an item's old content as a new, higher version.

import type { Command } from 'commander';
import { resolveActor } from '../../publish/identity.js';
import { rollbackItem } from '../../archive/rollback.js';
import { openTargetStore, resolveTarget } from '../../archive/target.js';
import type { TargetFlags } from '../../archive/target.js';
import { DEFAULT_GC_GRACE_MS } from '../../publish/publish.js';
import { parseDuration, parsePositiveInt } from '../options.js';
import { printJson, say } from '../output.js';
import { runCommand } from '../run.js';
import { addTargetFlags } from './history.js';

interface RollbackFlags extends TargetFlags {
  to?: string;
  libraryVersion?: string;
  dryRun?: boolean;
  gcGrace?: string;
  gc: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerRollback(program: Command): void {
  const cmd = program
    .command('rollback')
    .description(
      "publish an item's content as it was in an older version as a new, higher version (subscribers re-sync it)",
    )
    .argument('<item>', 'item name')
    .option('--to <item-version>', 'the item version whose content to publish again (see claas history)')
    .option('--library-version <n>', 'instead of --to: the item as it was in this library version')
    .option('--dry-run', 'show what would be published; write nothing')
    .option('--gc-grace <duration>', 'keep superseded files this long for subscribers mid-sync', '24h')
    .option('--no-gc', 'do not delete superseded files after the commit')
    .option('--sse <mode>', 'server-side encryption of anything copied: AES256 or aws:kms')
    .option('--kms-key-id <id>', 'KMS key for --sse aws:kms')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing but errors');
  addTargetFlags(cmd);
  cmd.action(async (item: string, flags: RollbackFlags) => {
    await runCommand(flags, async (mode) => {
      const target = await resolveTarget(flags);
      const store = await openTargetStore(target);
      const actor = await resolveActor(store);
      const r = await rollbackItem({
        store,
        item,
        ...(flags.to === undefined ? {} : { toVersion: parsePositiveInt(flags.to, '--to') }),
        ...(flags.libraryVersion === undefined
          ? {}
          : { libraryVersion: parsePositiveInt(flags.libraryVersion, '--library-version') }),
        actor,
        write: target.write,
        gcGraceMs:
          flags.gcGrace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(flags.gcGrace, '--gc-grace'),
        noGc: !flags.gc,
        dryRun: flags.dryRun ?? false,
      });
      if (mode.json) {
        printJson({ ok: true, location: target.display, actor: actor.name, ...r });
        return 0;
      }
      const lib = r.publish.library;
      const from = r.fromItemVersion === undefined ? 'removed' : `version ${r.fromItemVersion}`;
      if (r.publish.dryRun) {
        say(
          mode,
          `would publish "${item}" (now ${from}) with the content of its version ${r.restored.itemVersion} ` +
            `(library version ${r.restored.libraryVersion}) as version ${r.toItemVersion ?? '?'} in library version ${lib.version}; nothing was written`,
        );
      } else if (!r.publish.committed) {
        say(
          mode,
          `"${item}" already has the content of its version ${r.restored.itemVersion}: nothing to publish`,
        );
      } else {
        say(
          mode,
          `rolled back "${item}" (${from}) to the content of its version ${r.restored.itemVersion}: published as ` +
            `version ${r.toItemVersion ?? '?'} in library version ${lib.version} of ${r.publish.location}` +
            (r.copied.length > 0 ? ` (${r.copied.length} files put back in place)` : ' (no bytes uploaded)'),
        );
      }
      for (const f of r.files) say(mode, `  ${f.name}  sha256 ${f.sha256}`);
      return 0;
    });
  });
}
