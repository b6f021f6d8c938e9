// `claas lifecycle apply`: set the library bucket's lifecycle rules (only when something changed, audited)
// and read them back; exit 1 when the bucket does not hold what was written.

import type { Command } from 'commander';
import { readBackDifferences } from '../../../archive/lifecycle.js';
import { readLifecycleRules, writeLifecycleRules } from '../../../archive/lifecycle-s3.js';
import { EXIT } from '../../../errors.js';
import { appendAudit } from '../../../publish/audit.js';
import { resolveActor } from '../../../publish/identity.js';
import type { ObjectStore } from '../../../store/types.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';
import { addRuleFlags, makePlan, parse, s3Target } from './rules.js';
import type { LifecycleOptions, Plan, RuleFlags } from './rules.js';

export function define(cmd: Command): void {
  addRuleFlags(cmd);
}

async function audit(store: ObjectStore, p: Plan): Promise<void> {
  await appendAudit(store, {
    action: 'lifecycle',
    actor: await resolveActor(store),
    summary: `lifecycle rules of bucket ${p.bucket} applied`,
    details: {
      bucket: p.bucket,
      changes: p.merge.changes
        .filter((c) => c.change !== 'unchanged' && c.change !== 'foreign')
        .map((c) => ({ id: c.id, change: c.change })),
      rules: p.desired,
    },
  });
}

export async function run(o: LifecycleOptions, io: CliIo): Promise<number> {
  const t = await s3Target(o.target);
  const p = await makePlan(o.rules, t);
  if (!io.json) {
    io.say(`lifecycle of bucket ${p.bucket} for library "${p.library}" (prefix "${p.prefix}/"):`);
    for (const c of p.merge.changes) io.say(`  ${c.change.padEnd(9)} ${c.id}`);
    for (const n of p.notes) io.note(`note: ${n}`);
  }
  if (p.merge.changed) await writeLifecycleRules(t.store, p.merge.rules);
  const back = await readLifecycleRules(t.store);
  const differences = readBackDifferences(p.merge.rules, back);
  if (p.merge.changed) await audit(t.store, p);
  const ok = differences.length === 0;
  if (io.json) {
    io.printJson({
      ok,
      bucket: p.bucket,
      applied: p.merge.changed,
      changes: p.merge.changes.map((c) => ({ id: c.id, change: c.change })),
      readBack: { matches: ok, differences, rules: back },
      notes: p.notes,
    });
  } else {
    io.say(p.merge.changed ? 'applied; read back:' : 'nothing to change; read back:');
    if (ok) io.say(`  the bucket holds the ${p.merge.rules.length} rules as planned`);
    for (const d of differences) io.err(`  MISMATCH ${d}\n`);
  }
  return ok ? EXIT.OK : EXIT.FAILED;
}

export const verb: Verb<LifecycleOptions, RuleFlags, []> = {
  name: 'apply',
  description: 'set the rules (only when something changed) and read them back',
  define,
  parse,
  run,
};
