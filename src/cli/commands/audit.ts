// `claas audit [--since <date|duration>] [--item <name>]`: the library's audit log, oldest first.

import type { Command } from 'commander';
import { readAudit, entriesByVersion } from '../../publish/audit.js';
import type { StoredAuditEntry } from '../../publish/audit.js';
import { snapshotVersions } from '../../archive/history.js';
import { openTargetStore, resolveTarget } from '../../archive/target.js';
import type { TargetFlags } from '../../archive/target.js';
import { EXIT, badInput } from '../../errors.js';
import { LIB_KEY } from '../../publish/layout.js';
import { readJsonKey } from '../../publish/state.js';
import { parseLibJson } from '../../vcsp/schema.js';
import { parseDuration } from '../options.js';
import { note, printJson, say } from '../output.js';
import { runCommand } from '../run.js';
import { addTargetFlags } from './history.js';

interface AuditFlags extends TargetFlags {
  since?: string;
  item?: string;
  action?: string;
  strict?: boolean;
  json?: boolean;
  quiet?: boolean;
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

function line(e: StoredAuditEntry): string {
  const lib = e.library === undefined ? '' : ` library v${e.library.version}`;
  const items = (e.items ?? [])
    .map((i) => `${i.change} ${i.name}${i.toVersion === undefined ? '' : ` v${i.toVersion}`}`)
    .join(', ');
  return `${e.at}  ${e.action.padEnd(11)} by ${e.actor.name}${lib}${items === '' ? '' : `: ${items}`}${e.summary && items === '' ? `: ${e.summary}` : ''}`;
}

export function registerAudit(program: Command): void {
  const cmd = program
    .command('audit')
    .description(
      'show the audit log stored with the library: who published, removed, rolled back, archived what and when',
    )
    .option(
      '--since <date|duration>',
      'only entries from this date (2026-01-31) or this long ago (7d, 24h) on',
    )
    .option('--item <name>', 'only entries about this item')
    .option('--action <names>', 'only these actions, comma-separated (publish,rollback,restore,archive,...)')
    .option('--strict', 'exit 1 when a committed version has no entry or an entry is unreadable')
    .option('--json', 'print the entries as JSON')
    .option('-q, --quiet', 'print nothing but errors');
  addTargetFlags(cmd);
  cmd.action(async (flags: AuditFlags) => {
    await runCommand(flags, async (mode) => {
      const target = await resolveTarget(flags);
      const store = await openTargetStore(target);
      const query = {
        ...(flags.since === undefined ? {} : { since: parseSince(flags.since) }),
        ...(flags.item === undefined ? {} : { item: flags.item }),
        ...(flags.action === undefined ? {} : { actions: flags.action.split(',').map((a) => a.trim()) }),
      };
      const { entries, unreadable } = await readAudit(store, query);
      // Committed versions without an entry: before audit logging, or an append that failed.
      const all =
        query.since === undefined && query.item === undefined && query.actions === undefined
          ? entries
          : (await readAudit(store)).entries;
      const audited = entriesByVersion(all);
      const lib = await readJsonKey(store, LIB_KEY, parseLibJson);
      const current = lib === undefined ? 0 : Number(lib.version);
      const unaudited = (await snapshotVersions(store)).filter((v) => v <= current && !audited.has(v));
      const problems = unaudited.length > 0 || unreadable.length > 0;
      const code = flags.strict && problems ? EXIT.FAILED : EXIT.OK;
      if (mode.json) {
        printJson({ ok: code === 0, location: target.display, entries, unreadable, unaudited });
        return code;
      }
      for (const e of entries) say(mode, line(e));
      if (entries.length === 0) say(mode, 'no audit entries match');
      for (const u of unreadable) note(mode, `warning: ${u.key} is not a valid audit entry (${u.problem})`);
      if (unaudited.length > 0) {
        note(
          mode,
          `note: library versions without an audit entry: ${unaudited.join(', ')} (committed before audit logging, or the entry could not be written)`,
        );
      }
      return code;
    });
  });
}
