// `claas audit [--since <date|duration>] [--item <name>]`: the library's audit log, oldest first.

import type { Command } from 'commander';
import { readAudit, entriesByVersion } from '../../publish/audit.js';
import type { AuditQuery, StoredAuditEntry } from '../../publish/audit.js';
import { snapshotVersions } from '../../archive/history.js';
import { openTargetStore, resolveTarget } from '../../archive/target.js';
import type { TargetFlags } from '../../archive/target.js';
import { EXIT, badInput } from '../../errors.js';
import { LIB_KEY } from '../../publish/layout.js';
import { readJsonKey } from '../../publish/state.js';
import type { ObjectStore } from '../../store/types.js';
import { parseLibJson } from '../../vcsp/schema.js';
import { addTargetFlags } from '../flags.js';
import type { CliIo } from '../io.js';
import { parseDuration, targetFlags } from '../options.js';
import type { Verb } from '../verb.js';

export interface AuditOptions {
  target: TargetFlags;
  query: AuditQuery;
  strict: boolean;
}

interface AuditFlags extends TargetFlags {
  since?: string;
  item?: string;
  action?: string;
  strict?: boolean;
}

/** "2026-01-01", "2026-01-01T12:00:00Z" or a duration back from now ("7d", "24h"). */
export function parseSince(text: string, now: Date = new Date()): Date {
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d)?$/.test(text.trim())) {
    return new Date(now.getTime() - parseDuration(text, '--since'));
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) {
    throw badInput(
      `--since takes a date (2026-01-31, 2026-01-31T12:00:00Z) or a duration (7d, 24h); got "${text}"`,
      '--since',
    );
  }
  return new Date(t);
}

export function define(cmd: Command): void {
  cmd
    .option(
      '--since <date|duration>',
      'only entries from this date (2026-01-31) or this long ago (7d, 24h) on',
    )
    .option('--item <name>', 'only entries about this item')
    .option('--action <names>', 'only these actions, comma-separated (publish,rollback,restore,archive,...)')
    .option('--strict', 'exit 1 when a committed version has no entry or an entry is unreadable');
  addTargetFlags(cmd);
}

export function parse(_args: [], flags: AuditFlags): AuditOptions {
  return {
    target: targetFlags(flags),
    query: {
      ...(flags.since === undefined ? {} : { since: parseSince(flags.since) }),
      ...(flags.item === undefined ? {} : { item: flags.item }),
      ...(flags.action === undefined ? {} : { actions: flags.action.split(',').map((a) => a.trim()) }),
    },
    strict: flags.strict ?? false,
  };
}

function line(e: StoredAuditEntry): string {
  const lib = e.library === undefined ? '' : ` library v${e.library.version}`;
  const items = (e.items ?? [])
    .map((i) => `${i.change} ${i.name}${i.toVersion === undefined ? '' : ` v${i.toVersion}`}`)
    .join(', ');
  return `${e.at}  ${e.action.padEnd(11)} by ${e.actor.name}${lib}${items === '' ? '' : `: ${items}`}${e.summary && items === '' ? `: ${e.summary}` : ''}`;
}

/** Committed library versions without an audit entry: before audit logging, or an append that failed. */
async function unauditedVersions(
  store: ObjectStore,
  query: AuditQuery,
  entries: StoredAuditEntry[],
): Promise<number[]> {
  const unfiltered = query.since === undefined && query.item === undefined && query.actions === undefined;
  const all = unfiltered ? entries : (await readAudit(store)).entries;
  const audited = entriesByVersion(all);
  const lib = await readJsonKey(store, LIB_KEY, parseLibJson);
  const current = lib === undefined ? 0 : Number(lib.version);
  return (await snapshotVersions(store)).filter((v) => v <= current && !audited.has(v));
}

export async function run(o: AuditOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const store = await openTargetStore(target);
  const { entries, unreadable } = await readAudit(store, o.query);
  const unaudited = await unauditedVersions(store, o.query, entries);
  const problems = unaudited.length > 0 || unreadable.length > 0;
  const code = o.strict && problems ? EXIT.FAILED : EXIT.OK;
  if (io.json) {
    io.printJson({ ok: code === 0, location: target.display, entries, unreadable, unaudited });
    return code;
  }
  for (const e of entries) io.say(line(e));
  if (entries.length === 0) io.say('no audit entries match');
  for (const u of unreadable) io.note(`warning: ${u.key} is not a valid audit entry (${u.problem})`);
  if (unaudited.length > 0) {
    io.note(
      `note: library versions without an audit entry: ${unaudited.join(', ')} (committed before audit logging, or the entry could not be written)`,
    );
  }
  return code;
}

export const verb: Verb<AuditOptions, AuditFlags, []> = {
  name: 'audit',
  description:
    'show the audit log stored with the library: who published, removed, rolled back, archived what and when',
  define,
  parse,
  run,
};
