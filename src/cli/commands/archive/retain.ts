// `claas archive retain [versions...]`: keep library versions retrievable in the library itself (gc never
// deletes their bytes), by marker or by rule (keep the newest n, keep all); without arguments: show retention.

import type { Command } from 'commander';
import { appendAudit } from '../../../publish/audit.js';
import { resolveActor } from '../../../publish/identity.js';
import { readRetention, retainVersions, setRetentionPolicy } from '../../../publish/retain.js';
import type { Retention } from '../../../publish/retain.js';
import { openTargetStore, resolveTarget } from '../../../archive/target.js';
import type { TargetFlags } from '../../../archive/target.js';
import type { ObjectStore } from '../../../store/types.js';
import { addTargetFlags } from '../../flags.js';
import type { CliIo } from '../../io.js';
import { parsePositiveInt, targetFlags } from '../../options.js';
import type { Verb } from '../../verb.js';
import { parseVersions } from './shared.js';

/** The retention rule to set: keep the newest n versions and/or keep all; neither removes the rule. */
export interface RetentionRule {
  keepLast?: number;
  keepAll: boolean;
}

export interface RetainOptions {
  target: TargetFlags;
  versions: number[];
  reason?: string;
  /** Undefined: the rule stays as it is. */
  rule?: RetentionRule;
}

interface RetainFlags extends TargetFlags {
  reason?: string;
  keepLast?: string;
  keepAll?: boolean;
  rule: boolean;
}

export function define(cmd: Command): void {
  cmd
    .argument('[versions...]', 'library versions to keep')
    .option('--reason <text>', 'why (recorded with the marker and in the audit log)')
    .option('--keep-last <n>', 'rule: keep the newest n library versions')
    .option('--keep-all', 'rule: keep every version')
    .option('--no-rule', 'remove the keep-last / keep-all rule');
  addTargetFlags(cmd);
}

export function parse([versions]: [string[]], flags: RetainFlags): RetainOptions {
  const changesRule = flags.keepLast !== undefined || flags.keepAll === true || !flags.rule;
  const rule: RetentionRule | undefined = changesRule
    ? {
        ...(flags.keepLast === undefined
          ? {}
          : { keepLast: parsePositiveInt(flags.keepLast, '--keep-last') }),
        keepAll: flags.keepAll === true,
      }
    : undefined;
  return {
    target: targetFlags(flags),
    versions: parseVersions(versions),
    ...(flags.reason === undefined ? {} : { reason: flags.reason }),
    ...(rule === undefined ? {} : { rule }),
  };
}

async function applyRetention(store: ObjectStore, o: RetainOptions): Promise<void> {
  const actor = await resolveActor(store);
  const reason = o.reason === undefined ? {} : { reason: o.reason };
  if (o.versions.length > 0) await retainVersions(store, o.versions, { actor, ...reason });
  if (o.rule !== undefined) {
    await setRetentionPolicy(store, {
      actor,
      ...(o.rule.keepLast === undefined ? {} : { keepLast: o.rule.keepLast }),
      ...(o.rule.keepAll ? { keepAll: true } : {}),
    });
  }
  await appendAudit(store, {
    action: 'retain',
    actor,
    summary: `retention: keep ${o.versions.length > 0 ? `versions ${o.versions.join(', ')}` : 'rule changed'}`,
    details: {
      retained: o.versions,
      ...reason,
      ...(o.rule === undefined
        ? {}
        : {
            rule: {
              keepLast: o.rule.keepLast === undefined ? null : String(o.rule.keepLast),
              keepAll: o.rule.keepAll,
            },
          }),
    },
  });
}

function describe(io: CliIo, display: string, r: Retention): void {
  io.say(`versions kept in ${display}: ${r.versions.join(', ') || 'none'}`);
  for (const m of r.markers) {
    io.say(`  version ${m.version}  since ${m.at} by ${m.actor.name}${m.reason ? `: ${m.reason}` : ''}`);
  }
  if (r.policy !== undefined) {
    io.say(
      `  rule: ${r.policy.keepAll ? 'keep every version' : `keep the newest ${r.policy.keepLast} versions`} (set ${r.policy.at} by ${r.policy.actor.name})`,
    );
  }
}

export async function run(o: RetainOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const store = await openTargetStore(target);
  if (o.versions.length > 0 || o.rule !== undefined) await applyRetention(store, o);
  const r = await readRetention(store);
  if (io.json) io.printJson({ ok: true, location: target.display, ...r });
  else describe(io, target.display, r);
  return 0;
}

export const verb: Verb<RetainOptions, RetainFlags, [string[]]> = {
  name: 'retain',
  description:
    'keep library versions retrievable in the library (gc never deletes their bytes); without arguments: show retention',
  define,
  parse,
  run,
};
