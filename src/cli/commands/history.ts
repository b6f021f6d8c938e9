// `claas history <item>`: every version an item had, when and by whom it was published, its files with
// size and SHA-256, and whether the bytes are still retrievable.

import type { Command } from 'commander';
import { itemHistory } from '../../archive/history.js';
import type { ItemHistory } from '../../archive/history.js';
import { openTargetStore, resolveTarget } from '../../archive/target.js';
import type { TargetFlags } from '../../archive/target.js';
import { addTargetFlags } from '../flags.js';
import type { CliIo } from '../io.js';
import { targetFlags } from '../options.js';
import { formatBytes } from '../output.js';
import type { Verb } from '../verb.js';

export interface HistoryOptions {
  item: string;
  target: TargetFlags;
}

export function define(cmd: Command): void {
  cmd.argument('<item>', 'item name');
  addTargetFlags(cmd);
}

export function parse([item]: [string], flags: TargetFlags): HistoryOptions {
  return { item, target: targetFlags(flags) };
}

function printHistory(io: CliIo, h: ItemHistory): void {
  io.say(`item "${h.item}" of library "${h.library.name}" (now at library version ${h.library.version})`);
  for (const v of h.versions) {
    const flags = [
      v.current ? 'current' : undefined,
      v.retained ? 'retained' : undefined,
      v.retrievable ? 'retrievable' : 'bytes deleted',
      v.action !== undefined && v.action !== 'publish' ? v.action : undefined,
    ].filter((x) => x !== undefined);
    io.say(
      `  version ${v.itemVersion}  library version ${v.libraryVersion}  ${v.committedAt}  by ${v.publisher ?? 'unknown'}  [${flags.join(', ')}]`,
    );
    for (const f of v.files) {
      io.say(
        `      ${f.name}  ${formatBytes(f.size)}  sha256 ${f.sha256 ?? 'unknown'}${f.retrievable ? '' : '  (not in the store)'}`,
      );
    }
  }
  for (const r of h.removals) {
    io.say(
      `  removed in library version ${r.libraryVersion}  ${r.committedAt}  by ${r.publisher ?? 'unknown'}`,
    );
  }
}

export async function run(o: HistoryOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const store = await openTargetStore(target);
  const history = await itemHistory(store, o.item);
  if (io.json) io.printJson({ ok: true, location: target.display, ...history });
  else printHistory(io, history);
  return 0;
}

export const verb: Verb<HistoryOptions, TargetFlags, [string]> = {
  name: 'history',
  description:
    "list every version of an item: date, publisher, files with size and SHA-256, and whether they're retrievable",
  define,
  parse,
  run,
};
