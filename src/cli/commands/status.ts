// `claas status --config claas.yaml`: is every replica consistent with the origin? Exit 0 all consistent, 1 a
// replica lags (replication or claas mirror will bring what is missing) or is a mirror replica still empty
// (claas mirror never filled it), 2 a replica is broken. --watch checks again every --interval until Ctrl-C
// (with --json: one JSON document per line and round).

import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { checkStatus, DEFAULT_SETTLE_MS, STATUS_RULE } from '../../replicate/status.js';
import type { StatusReport } from '../../replicate/status.js';
import { defaulted } from '../flags.js';
import type { CliIo } from '../io.js';
import { collect, parseDuration } from '../options.js';
import type { Verb } from '../verb.js';
import { renderStatus } from './status/render.js';

export interface StatusOptions {
  config: string;
  replicas?: string[];
  watch: boolean;
  intervalMs: number;
  settleMs: number;
  maxBack?: number;
}

interface StatusFlags {
  config: string;
  replica?: string[];
  watch?: boolean;
  interval: string;
  settle?: string;
  maxBack?: string;
}

export function define(cmd: Command): void {
  cmd
    .requiredOption('--config <file>', 'claas.yaml naming the origin and the replicas')
    .option('--replica <name>', 'check only this replica (repeatable; the origin is always checked)', collect)
    .option('--watch', 'check again every --interval until Ctrl-C')
    .option('--interval <duration>', 'time between checks with --watch', '10s')
    .addOption(
      defaulted(
        '--settle <duration>',
        'how long a native replica may miss an object the origin wrote before it counts as broken',
        `${DEFAULT_SETTLE_MS / 60_000}m`,
      ),
    )
    .addOption(defaulted('--max-back <n>', 'versions below lib.json searched for a complete one', '20'))
    .addHelpText('after', `\nLagging, empty or broken: ${STATUS_RULE}\n`);
}

export function parse(_args: [], flags: StatusFlags): StatusOptions {
  const maxBack = flags.maxBack === undefined ? undefined : Number(flags.maxBack);
  return {
    config: flags.config,
    ...(flags.replica === undefined ? {} : { replicas: flags.replica }),
    watch: flags.watch === true,
    intervalMs: parseDuration(flags.interval, '--interval'),
    settleMs: flags.settle === undefined ? DEFAULT_SETTLE_MS : parseDuration(flags.settle, '--settle'),
    ...(maxBack === undefined || !Number.isFinite(maxBack) ? {} : { maxBack }),
  };
}

function print(io: CliIo, report: StatusReport, ndjson: boolean): void {
  if (!io.json) {
    io.say(renderStatus(report).split('\n'));
    if (report.privateData !== undefined) io.note(`note: ${report.privateData}`);
  } else if (ndjson) io.printJsonLine(report);
  else io.printJson(report);
}

async function watch(io: CliIo, round: () => Promise<StatusReport>, intervalMs: number): Promise<number> {
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = (): void => {
    stop = true;
    wake?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let code = 0;
  try {
    while (!stop) {
      const report = await round();
      code = report.exitCode;
      print(io, report, true);
      if (!io.json) io.say('');
      if (stop) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

export async function run(o: StatusOptions, io: CliIo): Promise<number> {
  const config = await loadConfig(o.config);
  const round = async (): Promise<StatusReport> =>
    checkStatus(config, {
      settleMs: o.settleMs,
      ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
      ...(o.maxBack === undefined ? {} : { maxBack: o.maxBack }),
    });
  if (o.watch) return watch(io, round, o.intervalMs);
  const report = await round();
  print(io, report, false);
  return report.exitCode;
}

export const verb: Verb<StatusOptions, StatusFlags, []> = {
  name: 'status',
  description:
    'for the origin and every replica: the newest version complete and consistent there, what is missing or ' +
    'wrong, and the lag; exit 0 consistent, 1 lagging (or a mirror replica still empty), 2 broken',
  define,
  parse,
  run,
  output: {
    json: 'print the report as JSON on stdout (with --watch: one line per round)',
    quiet: 'print nothing but errors; the exit code tells the state',
  },
};
