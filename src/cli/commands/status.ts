// `claas status --config claas.yaml`: is every replica consistent with the origin? Exit 0 all consistent, 1 a
// replica lags (replication or claas mirror will bring what is missing), 2 a replica is broken. --watch checks
// again every --interval until Ctrl-C (with --json: one JSON document per line and round).

import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { checkStatus, DEFAULT_SETTLE_MS, formatAge, STATUS_RULE } from '../../replicate/status.js';
import type { StatusReport, StoreStatus } from '../../replicate/status.js';
import { collect, parseDuration } from '../options.js';
import { say } from '../output.js';
import type { OutputMode } from '../output.js';
import { runCommand } from '../run.js';

interface StatusFlags {
  config: string;
  replica?: string[];
  json?: boolean;
  watch?: boolean;
  interval: string;
  settle?: string;
  maxBack?: string;
  quiet?: boolean;
}

const MAX_KEYS = 10;

function keyLines(label: string, items: string[]): string[] {
  const out = items.slice(0, MAX_KEYS).map((k) => `      ${label.padEnd(10)} ${k}`);
  if (items.length > MAX_KEYS) out.push(`      ${''.padEnd(10)} ... and ${items.length - MAX_KEYS} more`);
  return out;
}

function storeLine(s: StoreStatus, width: number): string[] {
  const head = `  ${s.name.padEnd(width)}  ${s.state.padEnd(11)}`;
  if (s.state === 'error') {
    return [
      `${head} could not be checked: ${s.error?.message ?? 'unknown error'}`,
      ...(s.error?.hint === undefined ? [] : [`      fix: ${s.error.hint}`]),
    ];
  }
  const parts: string[] = [];
  parts.push(s.consistentVersion === undefined ? 'no complete version' : `version ${s.consistentVersion}`);
  if (s.libVersion !== s.consistentVersion) {
    parts.push(s.libVersion === undefined ? '(no lib.json)' : `(lib.json: ${s.libVersion})`);
  }
  if (s.role === 'replica' && s.behind !== undefined && s.behind > 0) {
    parts.push(
      `${s.behind} version${s.behind === 1 ? '' : 's'} behind` +
        (s.lagSeconds === undefined ? '' : `, for ${formatAge(s.lagSeconds * 1000)}`),
    );
  }
  const lines = [`${head} ${parts.join(' ')}  [${s.requests} requests]`];
  for (const p of s.problems) lines.push(`      ${p}`);
  const brokenMissing = s.missing.filter((m) => m.broken);
  const pendingMissing = s.missing.filter((m) => !m.broken);
  if (brokenMissing.length > 0) {
    lines.push(`      missing, will not come by itself: ${brokenMissing[0]!.reason}`);
    lines.push(
      ...keyLines(
        'missing',
        brokenMissing.map((m) => m.key),
      ),
    );
  }
  if (pendingMissing.length > 0) {
    lines.push(`      ${pendingMissing.length} objects still to come: ${pendingMissing[0]!.reason}`);
    lines.push(
      ...keyLines(
        'pending',
        pendingMissing.map((m) => m.key),
      ),
    );
  }
  lines.push(
    ...keyLines(
      'wrong size',
      s.wrongSize.map((w) => `${w.key} (${w.actual} bytes, expected ${w.expected})`),
    ),
  );
  lines.push(
    ...keyLines(
      'wrong hash',
      s.wrongHash.map(
        (w) => `${w.key} (expected ${w.expected}${w.actual === undefined ? '' : `, found ${w.actual}`})`,
      ),
    ),
  );
  return lines;
}

export function renderStatus(r: StatusReport): string {
  const width = Math.max(6, ...r.stores.map((s) => s.name.length));
  const committed =
    r.origin.committedAt === undefined
      ? ''
      : `, committed ${r.origin.committedAt} (${formatAge(Date.parse(r.checkedAt) - Date.parse(r.origin.committedAt))} ago)`;
  const lines = [
    `library "${r.library}": origin at ${r.origin.version === undefined ? 'no version' : `version ${r.origin.version}`}${committed}`,
  ];
  for (const s of r.stores) lines.push(...storeLine(s, width));
  lines.push(
    `status: ${r.state} (exit ${r.exitCode}); ${r.requests} requests (LIST pages, lib.json and snapshot GETs, ` +
      `HEADs only where an ETag differs from the origin's); checked ${r.checkedAt}`,
  );
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'for the origin and every replica: the newest version complete and consistent there, what is missing or ' +
        'wrong, and the lag; exit 0 consistent, 1 lagging, 2 broken',
    )
    .requiredOption('--config <file>', 'claas.yaml naming the origin and the replicas')
    .option('--replica <name>', 'check only this replica (repeatable; the origin is always checked)', collect)
    .option('--json', 'print the report as JSON (with --watch: one line per round)')
    .option('--watch', 'check again every --interval until Ctrl-C')
    .option('--interval <duration>', 'time between checks with --watch', '10s')
    .option(
      '--settle <duration>',
      `how long a native replica may miss an object the origin wrote before it counts as broken (default ${DEFAULT_SETTLE_MS / 60_000}m)`,
    )
    .option('--max-back <n>', 'versions below lib.json searched for a complete one (default 20)')
    .option('-q, --quiet', 'print nothing; the exit code tells')
    .addHelpText('after', `\nLagging or broken: ${STATUS_RULE}\n`)
    .action(async (flags: StatusFlags) => {
      await runCommand(flags, async (mode) => {
        const config = await loadConfig(flags.config);
        const settleMs =
          flags.settle === undefined ? DEFAULT_SETTLE_MS : parseDuration(flags.settle, '--settle');
        const maxBack = flags.maxBack === undefined ? undefined : Number(flags.maxBack);
        const round = async (): Promise<StatusReport> =>
          checkStatus(config, {
            settleMs,
            ...(flags.replica === undefined ? {} : { replicas: flags.replica }),
            ...(maxBack === undefined || !Number.isFinite(maxBack) ? {} : { maxBack }),
          });
        if (!flags.watch) {
          const report = await round();
          print(mode, report, false);
          return report.exitCode;
        }
        const intervalMs = parseDuration(flags.interval, '--interval');
        return watch(mode, round, intervalMs);
      });
    });
}

function print(mode: OutputMode, report: StatusReport, ndjson: boolean): void {
  if (mode.json) {
    process.stdout.write(ndjson ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  say(mode, renderStatus(report).split('\n'));
}

async function watch(
  mode: OutputMode,
  round: () => Promise<StatusReport>,
  intervalMs: number,
): Promise<number> {
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
      print(mode, report, true);
      if (!mode.json) say(mode, '');
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
