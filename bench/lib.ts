// Shared benchmark helpers: run a command and time it, peak RSS via /usr/bin/time when present, ratios.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size in MB, when /usr/bin/time is available. */
  peakRssMb?: number;
}

export function timeCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Timed> {
  const useTime = existsSync('/usr/bin/time');
  const file = useTime ? '/usr/bin/time' : cmd;
  const argv = useTime ? ['-f', '__PEAK_RSS_KB=%M', cmd, ...args] : args;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const m = /__PEAK_RSS_KB=(\d+)/.exec(stderr);
      resolve({
        ms,
        code,
        stdout,
        stderr: stderr.replace(/__PEAK_RSS_KB=\d+\n?/, ''),
        ...(m ? { peakRssMb: Number(m[1]) / 1024 } : {}),
      });
    });
  });
}

export async function mustRun(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Timed> {
  const t = await timeCommand(cmd, args, env);
  if (t.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${t.code}): ${t.stderr.slice(-2000)}`);
  return t;
}

/** Best (lowest) of n runs: the least disturbed by other load on the machine. */
export async function bestOf(n: number, run: () => Promise<Timed>): Promise<Timed> {
  let best: Timed | undefined;
  for (let i = 0; i < n; i++) {
    const t = await run();
    if (best === undefined || t.ms < best.ms) best = t;
  }
  return best!;
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}
