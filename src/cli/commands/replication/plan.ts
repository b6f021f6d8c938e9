// `claas replication plan --config claas.yaml`: what native replication of the library needs (versioning,
// IAM role and policy, replication rules, bucket policies) as JSON, AWS CLI commands or Terraform.

import type { Command } from 'commander';
import { loadConfig } from '../../../config/load.js';
import { badInput } from '../../../errors.js';
import { renderCliScript } from '../../../replicate/cli-commands.js';
import {
  hasCrossAccountNative,
  legacyPrivateData,
  legacyPrivateNote,
} from '../../../replicate/apply-private-data.js';
import { planNativeReplication } from '../../../replicate/plan-native.js';
import { replicationTerraform } from '../../../replicate/terraform.js';
import type { CliIo, OutputMode } from '../../io.js';
import type { Verb } from '../../verb.js';

const FORMATS = ['json', 'cli', 'terraform'] as const;

export interface ReplicationPlanOptions {
  config: string;
  format: (typeof FORMATS)[number];
}

interface PlanFlags {
  config: string;
  format: string;
  json?: boolean;
  quiet?: boolean;
}

export function define(cmd: Command): void {
  cmd
    .requiredOption('--config <file>', 'claas.yaml naming the origin and the replicas')
    .option(
      '--format <format>',
      'json, cli (AWS CLI commands) or terraform; --json is --format json',
      'json',
    );
}

export function parse(_args: [], flags: PlanFlags): ReplicationPlanOptions {
  if (!(FORMATS as readonly string[]).includes(flags.format)) {
    throw badInput(`--format takes json, cli or terraform; got "${flags.format}"`, '--format');
  }
  if (flags.json === true && flags.format !== 'json') {
    throw badInput(`--json prints JSON; it does not go with --format ${flags.format}`, '--json');
  }
  return { config: flags.config, format: flags.format as ReplicationPlanOptions['format'] };
}

export async function run(o: ReplicationPlanOptions, io: CliIo): Promise<number> {
  const config = await loadConfig(o.config);
  const plan = planNativeReplication(config);
  // Issue 16: private objects an older claas left under the prefix ride a cross-account rule until apply
  // moves them. One LIST at the origin, only for such configurations; unreadable: no note.
  if (hasCrossAccountNative(config)) {
    const note = legacyPrivateNote(config, await legacyPrivateData(config).catch(() => undefined));
    if (note !== undefined) plan.notes.push(note);
  }
  if (o.format === 'json') io.printJson(plan);
  else io.out(o.format === 'cli' ? renderCliScript(plan) : replicationTerraform(plan));
  return 0;
}

export const verb: Verb<ReplicationPlanOptions, PlanFlags, []> = {
  name: 'plan',
  description:
    'print what native replication needs: versioning, IAM role and policy, replication rules, bucket policies',
  define,
  parse,
  run,
  output: { json: 'print the plan as JSON on stdout (the default format)' },
  // The plan is JSON unless another format is asked for; errors then come as JSON too.
  mode: (flags): OutputMode => ({
    json: flags.json === true || flags.format === 'json',
    quiet: flags.quiet === true,
  }),
};
