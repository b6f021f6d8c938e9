// `claas replication apply --config claas.yaml`: apply the replication plan with the SDK: the changes are
// shown first and applied when confirmed (--yes, or y/N on a terminal); idempotent.

import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../../../config/load.js';
import { ClaasError, exitCodeFor, isClaasError } from '../../../errors.js';
import { applySteps, auditApplied, planApply } from '../../../replicate/apply.js';
import type { AppliedChange, Change } from '../../../replicate/apply.js';
import { mapS3Error } from '../../../store/s3-errors.js';
import { defaulted } from '../../flags.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';

export interface ReplicationApplyOptions {
  config: string;
  yes: boolean;
  writerPrincipal?: string;
}

interface ApplyFlags {
  config: string;
  yes?: boolean;
  writerPrincipal?: string;
}

type Planned = Awaited<ReturnType<typeof planApply>>;

export function define(cmd: Command): void {
  cmd
    .requiredOption('--config <file>', 'claas.yaml naming the origin and the replicas')
    .option('--yes', 'apply without asking')
    .addOption(
      defaulted(
        '--writer-principal <arn>',
        "the identity claas mirror writes as, for the mirror replicas' bucket policies",
        "the origin credentials' identity",
      ),
    );
}

export function parse(_args: [], flags: ApplyFlags): ReplicationApplyOptions {
  return {
    config: flags.config,
    yes: flags.yes === true,
    ...(flags.writerPrincipal === undefined ? {} : { writerPrincipal: flags.writerPrincipal }),
  };
}

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

/** SDK errors of the planning reads as ClaasErrors naming the configuration. */
function mapped(e: unknown, config: string): unknown {
  if (isClaasError(e)) return e;
  if (typeof e === 'object' && e !== null && '$metadata' in e) return mapS3Error(e, 'read', config);
  return e;
}

function writerOf(result: Planned['result']): { writerPrincipal?: string } {
  return result.writerPrincipal === undefined ? {} : { writerPrincipal: result.writerPrincipal };
}

function describePlan(io: CliIo, result: Planned['result']): void {
  io.say(
    `replication of library "${result.library}" (${result.plan.source.bucket}/${result.plan.source.prefix}):`,
  );
  for (const c of result.changes) io.say(changeLine(c).split('\n'));
  for (const z of result.plan.zoneReplicas) io.say(`  = zone replica  ${z.replica}: ${z.reason}`);
}

async function applyConfirmed(io: CliIo, planned: Planned): Promise<number> {
  const { result, steps } = planned;
  const notes = result.notes;
  const applied = await applySteps(steps, {
    onStep: (c) => {
      if (c.outcome !== 'unchanged') io.say(changeLine(c).split('\n'));
    },
  });
  const audit = await auditApplied(planned.config, applied);
  if (audit.error !== undefined) notes.push(`the audit log entry could not be written: ${audit.error}`);
  const failed = applied.find((c) => c.outcome === 'failed');
  const changed = applied.filter((c) => c.outcome === 'applied').length;
  io.say(
    `${changed} change${changed === 1 ? '' : 's'} applied${failed === undefined ? '' : `; stopped at a failure`}`,
  );
  for (const n of notes) io.say(`note: ${n}`);
  if (io.json)
    io.printJson({ ok: failed === undefined, changed, changes: applied, notes, ...writerOf(result) });
  if (failed === undefined) return 0;
  const error = new ClaasError(
    'FORBIDDEN',
    `${failed.kind} of ${failed.target} failed: ${failed.error?.message ?? ''}`,
    {
      input: failed.target,
      hint: 'check that the credentials of that store may change its configuration; steps before it were applied, run apply again after fixing',
    },
  );
  if (io.json) return exitCodeFor(error);
  throw error;
}

async function applyPlanned(io: CliIo, o: ReplicationApplyOptions, planned: Planned): Promise<number> {
  const { result } = planned;
  const { changes, notes } = result;
  const pending = changes.filter((c) => c.action === 'create' || c.action === 'update');
  describePlan(io, result);
  if (pending.length === 0) {
    io.say(
      'no changes: everything is as planned' +
        (changes.some((c) => c.action === 'skip') ? ' (skipped steps above)' : ''),
    );
    for (const n of notes) io.say(`note: ${n}`);
    if (io.json) io.printJson({ ok: true, changed: 0, changes, notes, ...writerOf(result) });
    return 0;
  }
  let go = o.yes;
  if (!go && process.stdin.isTTY === true && !io.json) {
    go = await confirm(`apply ${pending.length} change${pending.length === 1 ? '' : 's'}?`);
  }
  if (!go) {
    if (io.json)
      io.printJson({ ok: false, applied: false, changes, notes, hint: 'run again with --yes to apply' });
    else io.note(`nothing applied: run again with --yes to apply the ${pending.length} changes above`);
    return o.yes ? 0 : 1;
  }
  return applyConfirmed(io, planned);
}

export async function run(o: ReplicationApplyOptions, io: CliIo): Promise<number> {
  const config = await loadConfig(o.config);
  let planned: Planned;
  try {
    planned = await planApply(
      config,
      o.writerPrincipal === undefined ? {} : { writerPrincipal: o.writerPrincipal },
    );
  } catch (e) {
    throw mapped(e, config.file);
  }
  try {
    return await applyPlanned(io, o, planned);
  } finally {
    planned.clients.close();
  }
}

export const verb: Verb<ReplicationApplyOptions, ApplyFlags, []> = {
  name: 'apply',
  description:
    'apply the replication plan with the SDK (idempotent): shows the changes, then applies them when confirmed',
  define,
  parse,
  run,
  output: { json: 'print the changes and their outcome as JSON on stdout' },
};
