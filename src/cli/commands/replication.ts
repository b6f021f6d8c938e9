// `claas replication plan|apply --config claas.yaml`: what native replication of the library needs (as JSON,
// AWS CLI commands or Terraform), and applying it with the SDK: shown first, confirmed (--yes, or y/N on a
// terminal), idempotent.

import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../../config/load.js';
import { ClaasError, exitCodeFor, isClaasError } from '../../errors.js';
import { renderCliScript } from '../../replicate/cli-commands.js';
import { planNativeReplication } from '../../replicate/plan-native.js';
import { replicationTerraform } from '../../replicate/terraform.js';
import { applySteps, planApply } from '../../replicate/apply.js';
import type { AppliedChange, Change } from '../../replicate/apply.js';
import { mapS3Error } from '../../store/s3-errors.js';
import { badInput } from '../../errors.js';
import { note, printJson, say } from '../output.js';
import type { OutputMode } from '../output.js';
import { runCommand } from '../run.js';

interface PlanFlags {
  config: string;
  format: string;
  json?: boolean;
  quiet?: boolean;
}

interface ApplyFlags {
  config: string;
  yes?: boolean;
  json?: boolean;
  quiet?: boolean;
  writerPrincipal?: string;
}

const FORMATS = ['json', 'cli', 'terraform'] as const;

function changeLine(c: Change | AppliedChange): string {
  const mark: Record<string, string> = { create: '+', update: '~', none: '=', skip: '-' };
  const outcome =
    'outcome' in c
      ? ` [${c.outcome}${c.outcome === 'applied' && c.confirmed === false ? ', not visible yet' : ''}]`
      : '';
  const lines = [`  ${mark[c.action] ?? '?'} ${c.kind.padEnd(13)} ${c.target}: ${c.summary}${outcome}`];
  if (c.reason !== undefined) lines.push(`      skipped: ${c.reason}`);
  if ('error' in c && c.error !== undefined) lines.push(`      failed: ${c.error.message}`);
  return lines.join('\n');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** SDK errors of the planning reads as ClaasErrors naming the bucket. */
function mapped(e: unknown, config: string): unknown {
  if (isClaasError(e)) return e;
  if (typeof e === 'object' && e !== null && '$metadata' in e) return mapS3Error(e, 'read', config);
  return e;
}

export function registerReplication(program: Command): void {
  const group = program
    .command('replication')
    .description('native replication of the library (AWS S3 replication, Ceph multisite): plan it, apply it');

  group
    .command('plan')
    .description(
      'print what native replication needs: versioning, IAM role and policy, replication rules, bucket policies',
    )
    .requiredOption('--config <file>', 'claas.yaml naming the origin and the replicas')
    .option('--format <format>', `json, cli (AWS CLI commands) or terraform`, 'json')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (flags: PlanFlags) => {
      await runCommand({ ...flags, json: flags.format === 'json' }, async () => {
        if (!(FORMATS as readonly string[]).includes(flags.format)) {
          throw badInput(`--format takes json, cli or terraform; got "${flags.format}"`, '--format');
        }
        const config = await loadConfig(flags.config);
        const plan = planNativeReplication(config);
        if (flags.format === 'json') printJson(plan);
        else if (flags.format === 'cli') process.stdout.write(renderCliScript(plan));
        else process.stdout.write(replicationTerraform(plan));
        return 0;
      });
    });

  group
    .command('apply')
    .description(
      'apply the replication plan with the SDK (idempotent): shows the changes, then applies them when confirmed',
    )
    .requiredOption('--config <file>', 'claas.yaml naming the origin and the replicas')
    .option('--yes', 'apply without asking')
    .option(
      '--writer-principal <arn>',
      "the identity claas mirror writes as, for the mirror replicas' bucket policies (default: the origin credentials' identity)",
    )
    .option('--json', 'print the changes and their outcome as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (flags: ApplyFlags) => {
      await runCommand(flags, async (mode) => {
        const config = await loadConfig(flags.config);
        let planned;
        try {
          planned = await planApply(
            config,
            flags.writerPrincipal === undefined ? {} : { writerPrincipal: flags.writerPrincipal },
          );
        } catch (e) {
          throw mapped(e, config.file);
        }
        const { result, steps, clients } = planned;
        try {
          return await applyPlanned(mode, flags, result.changes, steps, result.notes, result);
        } finally {
          clients.close();
        }
      });
    });
}

async function applyPlanned(
  mode: OutputMode,
  flags: ApplyFlags,
  changes: Change[],
  steps: Parameters<typeof applySteps>[0],
  notes: string[],
  result: Awaited<ReturnType<typeof planApply>>['result'],
): Promise<number> {
  const pending = changes.filter((c) => c.action === 'create' || c.action === 'update');
  say(
    mode,
    `replication of library "${result.library}" (${result.plan.source.bucket}/${result.plan.source.prefix}):`,
  );
  for (const c of changes) say(mode, changeLine(c).split('\n'));
  if (result.plan.zoneReplicas.length > 0) {
    for (const z of result.plan.zoneReplicas) say(mode, `  = zone replica  ${z.replica}: ${z.reason}`);
  }
  if (pending.length === 0) {
    say(
      mode,
      'no changes: everything is as planned' +
        (changes.some((c) => c.action === 'skip') ? ' (skipped steps above)' : ''),
    );
    for (const n of notes) say(mode, `note: ${n}`);
    if (mode.json)
      printJson({
        ok: true,
        changed: 0,
        changes,
        notes,
        ...(result.writerPrincipal === undefined ? {} : { writerPrincipal: result.writerPrincipal }),
      });
    return 0;
  }
  let go = flags.yes === true;
  if (!go && process.stdin.isTTY === true && !mode.json) {
    go = await confirm(`apply ${pending.length} change${pending.length === 1 ? '' : 's'}?`);
  }
  if (!go) {
    if (mode.json)
      printJson({ ok: false, applied: false, changes, notes, hint: 'run again with --yes to apply' });
    else note(mode, `nothing applied: run again with --yes to apply the ${pending.length} changes above`);
    return flags.yes === true ? 0 : 1;
  }
  const applied = await applySteps(steps, {
    onStep: (c) => {
      if (c.outcome !== 'unchanged') say(mode, changeLine(c).split('\n'));
    },
  });
  const failed = applied.find((c) => c.outcome === 'failed');
  const changed = applied.filter((c) => c.outcome === 'applied').length;
  say(
    mode,
    `${changed} change${changed === 1 ? '' : 's'} applied${failed === undefined ? '' : `; stopped at a failure`}`,
  );
  for (const n of notes) say(mode, `note: ${n}`);
  if (mode.json) {
    printJson({
      ok: failed === undefined,
      changed,
      changes: applied,
      notes,
      ...(result.writerPrincipal === undefined ? {} : { writerPrincipal: result.writerPrincipal }),
    });
  }
  if (failed !== undefined) {
    const error = new ClaasError(
      'FORBIDDEN',
      `${failed.kind} of ${failed.target} failed: ${failed.error?.message ?? ''}`,
      {
        input: failed.target,
        hint: 'check that the credentials of that store may change its configuration; steps before it were applied, run apply again after fixing',
      },
    );
    if (mode.json) return exitCodeFor(error);
    throw error;
  }
  return 0;
}
