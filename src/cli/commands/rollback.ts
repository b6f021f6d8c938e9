// `claas rollback <item> --item-version <n>`: publish an item's old content as a new, higher version.

import type { Command } from 'commander';
import { badInput } from '../../errors.js';
import { resolveActor } from '../../publish/identity.js';
import { rollbackItem } from '../../archive/rollback.js';
import type { RollbackResult } from '../../archive/rollback.js';
import { openTargetStore, resolveTarget } from '../../archive/target.js';
import type { TargetFlags } from '../../archive/target.js';
import { DEFAULT_GC_GRACE_MS } from '../../publish/publish.js';
import { addGcFlags, addSseFlags, addTargetFlags, oldSpelling, renamed } from '../flags.js';
import type { CliIo } from '../io.js';
import { parseDuration, parsePositiveInt, targetFlags } from '../options.js';
import type { Deprecated, Verb } from '../verb.js';

export interface RollbackOptions {
  item: string;
  target: TargetFlags;
  itemVersion?: number;
  libraryVersion?: number;
  dryRun: boolean;
  gcGraceMs: number;
  gc: boolean;
}

interface RollbackFlags extends TargetFlags {
  itemVersion?: string;
  /** Old spelling of --item-version. */
  to?: string;
  libraryVersion?: string;
  dryRun?: boolean;
  gcGrace?: string;
  gc: boolean;
}

export function define(cmd: Command): void {
  cmd
    .argument('<item>', 'item name')
    .option('--item-version <n>', 'the item version whose content to publish again (see claas history)')
    .addOption(oldSpelling('--to <item-version>'))
    .option('--library-version <n>', 'instead of --item-version: the item as it was in this library version')
    .option('--dry-run', 'show what would be published; write nothing');
  addGcFlags(cmd);
  addSseFlags(cmd, 'anything copied');
  addTargetFlags(cmd);
}

export function parse([item]: [string], flags: RollbackFlags, deprecated: Deprecated): RollbackOptions {
  const itemVersion = renamed(
    'rollback',
    { flag: '--item-version', value: flags.itemVersion },
    { flag: '--to', value: flags.to },
    deprecated,
  );
  if ((itemVersion === undefined) === (flags.libraryVersion === undefined)) {
    throw badInput(
      'give the item version to roll back to (--item-version), or a library version (--library-version)',
      '--item-version',
    );
  }
  return {
    item,
    target: targetFlags(flags),
    ...(itemVersion === undefined ? {} : { itemVersion: parsePositiveInt(itemVersion, '--item-version') }),
    ...(flags.libraryVersion === undefined
      ? {}
      : { libraryVersion: parsePositiveInt(flags.libraryVersion, '--library-version') }),
    dryRun: flags.dryRun ?? false,
    gcGraceMs: flags.gcGrace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(flags.gcGrace, '--gc-grace'),
    gc: flags.gc,
  };
}

function describe(io: CliIo, item: string, r: RollbackResult): void {
  const lib = r.publish.library;
  const from = r.fromItemVersion === undefined ? 'removed' : `version ${r.fromItemVersion}`;
  if (r.publish.dryRun) {
    io.say(
      `would publish "${item}" (now ${from}) with the content of its version ${r.restored.itemVersion} ` +
        `(library version ${r.restored.libraryVersion}) as version ${r.toItemVersion ?? '?'} in library version ${lib.version}; nothing was written`,
    );
  } else if (!r.publish.committed) {
    io.say(`"${item}" already has the content of its version ${r.restored.itemVersion}: nothing to publish`);
  } else {
    io.say(
      `rolled back "${item}" (${from}) to the content of its version ${r.restored.itemVersion}: published as ` +
        `version ${r.toItemVersion ?? '?'} in library version ${lib.version} of ${r.publish.location}` +
        (r.copied.length > 0 ? ` (${r.copied.length} files put back in place)` : ' (no bytes uploaded)'),
    );
  }
  for (const f of r.files) io.say(`  ${f.name}  sha256 ${f.sha256}`);
}

export async function run(o: RollbackOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const store = await openTargetStore(target);
  const actor = await resolveActor(store);
  const r = await rollbackItem({
    store,
    item: o.item,
    ...(o.itemVersion === undefined ? {} : { toVersion: o.itemVersion }),
    ...(o.libraryVersion === undefined ? {} : { libraryVersion: o.libraryVersion }),
    actor,
    write: target.write,
    gcGraceMs: o.gcGraceMs,
    noGc: !o.gc,
    dryRun: o.dryRun,
  });
  if (io.json) io.printJson({ ok: true, location: target.display, actor: actor.name, ...r });
  else describe(io, o.item, r);
  return 0;
}

export const verb: Verb<RollbackOptions, RollbackFlags, [string]> = {
  name: 'rollback',
  description:
    "publish an item's content as it was in an older version as a new, higher version (subscribers re-sync it)",
  define,
  parse,
  run,
};
