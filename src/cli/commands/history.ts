// `claas history <item>`: every version an item had, when and by whom it was published, its files with
// size and SHA-256, and whether the bytes are still retrievable.

import type { Command } from 'commander';
import { itemHistory } from '../../archive/history.js';
import type { ItemHistory } from '../../archive/history.js';
import { openTargetStore, resolveTarget } from '../../archive/target.js';
import type { TargetFlags } from '../../archive/target.js';
import { formatBytes, printJson, say } from '../output.js';
import type { OutputMode } from '../output.js';
import { runCommand } from '../run.js';
import { addStoreFlags } from './publish.js';

/** --config / --location and the S3 flags every archive-family command takes. */
export function addTargetFlags(cmd: Command): Command {
  cmd
    .option('--config <file>', 'claas.yaml: work on the library at its origin')
    .option(
      '--location <location>',
      'the library location (file:<path>, a path or s3://bucket/prefix) without a configuration',
    );
  return addStoreFlags(cmd);
}

function printHistory(mode: OutputMode, h: ItemHistory): void {
  say(mode, `item "${h.item}" of library "${h.library.name}" (now at library version ${h.library.version})`);
  for (const v of h.versions) {
    const flags = [
      v.current ? 'current' : undefined,
      v.retained ? 'retained' : undefined,
      v.retrievable ? 'retrievable' : 'bytes deleted',
      v.action !== undefined && v.action !== 'publish' ? v.action : undefined,
    ].filter((x) => x !== undefined);
    say(
      mode,
      `  version ${v.itemVersion}  library version ${v.libraryVersion}  ${v.committedAt}  by ${v.publisher ?? 'unknown'}  [${flags.join(', ')}]`,
    );
    for (const f of v.files) {
      say(
        mode,
        `      ${f.name}  ${formatBytes(f.size)}  sha256 ${f.sha256 ?? 'unknown'}${f.retrievable ? '' : '  (not in the store)'}`,
      );
    }
  }
  for (const r of h.removals) {
    say(
      mode,
      `  removed in library version ${r.libraryVersion}  ${r.committedAt}  by ${r.publisher ?? 'unknown'}`,
    );
  }
}

export function registerHistory(program: Command): void {
  const cmd = program
    .command('history')
    .description(
      "list every version of an item: date, publisher, files with size and SHA-256, and whether they're retrievable",
    )
    .argument('<item>', 'item name')
    .option('--json', 'print the history as JSON')
    .option('-q, --quiet', 'print nothing but errors');
  addTargetFlags(cmd);
  cmd.action(async (item: string, flags: TargetFlags & { json?: boolean; quiet?: boolean }) => {
    await runCommand(flags, async (mode) => {
      const target = await resolveTarget(flags);
      const store = await openTargetStore(target);
      const history = await itemHistory(store, item);
      if (mode.json) printJson({ ok: true, location: target.display, ...history });
      else printHistory(mode, history);
      return 0;
    });
  });
}
