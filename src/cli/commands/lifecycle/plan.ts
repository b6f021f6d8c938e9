// `claas lifecycle plan`: the lifecycle rules claas would set on the library's bucket, merged with what the
// bucket has, as the PutBucketLifecycleConfiguration document (JSON) or as Terraform; writes nothing.

import type { Command } from 'commander';
import { lifecycleTerraform } from '../../../archive/lifecycle.js';
import { badInput } from '../../../errors.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';
import { addRuleFlags, makePlan, parseRules, s3Target } from './rules.js';
import type { LifecycleOptions, Plan, RuleFlags } from './rules.js';
import { targetFlags } from '../../options.js';

const FORMATS = ['json', 'terraform'] as const;

export interface LifecyclePlanOptions extends LifecycleOptions {
  format: (typeof FORMATS)[number];
}

interface PlanFlags extends RuleFlags {
  format: string;
  json?: boolean;
}

export function define(cmd: Command): void {
  cmd.option(
    '--format <format>',
    'json (the PutBucketLifecycleConfiguration document) or terraform; --json is --format json',
    'json',
  );
  addRuleFlags(cmd);
}

export function parse(_args: [], flags: PlanFlags): LifecyclePlanOptions {
  if (!(FORMATS as readonly string[]).includes(flags.format)) {
    throw badInput(`--format takes json or terraform; got "${flags.format}"`, '--format');
  }
  if (flags.json === true && flags.format !== 'json') {
    throw badInput(`--json prints JSON; it does not go with --format ${flags.format}`, '--json');
  }
  return {
    target: targetFlags(flags),
    rules: parseRules(flags),
    format: flags.format as LifecyclePlanOptions['format'],
  };
}

function planJson(p: Plan): Record<string, unknown> {
  return {
    ok: true,
    bucket: p.bucket,
    endpoint: p.endpoint,
    library: p.library,
    prefix: p.prefix,
    versioning: p.versioning,
    changed: p.merge.changed,
    changes: p.merge.changes.map((c) => ({ id: c.id, change: c.change })),
    configuration: { Rules: p.merge.rules },
    notes: p.notes,
  };
}

export async function run(o: LifecyclePlanOptions, io: CliIo): Promise<number> {
  const t = await s3Target(o.target);
  const p = await makePlan(o.rules, t);
  if (o.format === 'json') {
    io.printJson(planJson(p));
    return 0;
  }
  const loc = t.location;
  io.out(
    lifecycleTerraform(
      {
        bucket: p.bucket,
        ...(loc.region === undefined ? {} : { region: loc.region }),
        ...(loc.endpoint === undefined ? {} : { endpoint: loc.endpoint }),
        ...(loc.profile === undefined ? {} : { profile: loc.profile }),
      },
      p.library,
      p.merge.rules,
    ),
  );
  for (const n of p.notes) io.note(`note: ${n}`);
  return 0;
}

export const verb: Verb<LifecyclePlanOptions, PlanFlags, []> = {
  name: 'plan',
  description: 'show the rules claas would set, merged with what the bucket has (writes nothing)',
  define,
  parse,
  run,
  output: { json: 'print the plan as JSON on stdout (the default format)' },
};
