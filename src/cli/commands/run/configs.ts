// The configuration files of `claas run`, loaded all at once: at start a bad file stops the command with
// its errors (file:line:column); on SIGHUP every file is read again and a bad one is reported as a Problem
// while the previous configuration keeps running.

import { loadConfig } from '../../../config/load.js';
import type { ClaasConfig } from '../../../config/schema.js';
import { ClaasError } from '../../../errors.js';
import { problemOf } from '../../../run/status-book.js';
import type { Problem } from '../../../run/types.js';

/**
 * Loads every file; when some fail, throws one ClaasError listing the problems of all of them (each
 * ConfigError line already says file:line:column).
 */
export async function loadRunConfigs(paths: readonly string[]): Promise<ClaasConfig[]> {
  const results = await Promise.allSettled(paths.map((p) => loadConfig(p)));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length === 0) return results.map((r) => (r as PromiseFulfilledResult<ClaasConfig>).value);
  if (failed.length === 1) throw failed[0];
  throw new ConfigFilesError(failed);
}

/** Several configuration files with problems: one line per problem, of every file. */
class ConfigFilesError extends ClaasError {
  private readonly lines: string[];

  constructor(errors: unknown[]) {
    const lines = errors.flatMap(errorLines);
    const hint = errors.find((e): e is ClaasError => e instanceof ClaasError)?.hint;
    super('BAD_INPUT', lines.join('\n'), hint === undefined ? {} : { hint });
    this.lines = lines;
  }

  override messageLines(): string[] {
    return this.lines;
  }
}

function errorLines(e: unknown): string[] {
  if (e instanceof ClaasError) {
    const lines = e.messageLines();
    return e.input !== undefined && !e.message.includes(e.input)
      ? [`${e.input}: ${lines.join('\n')}`]
      : lines;
  }
  return [e instanceof Error ? e.message : String(e)];
}

/** An error as the service reports problems, its message naming the file (never a secret). */
export function reloadProblem(e: unknown, at: Date = new Date()): Problem {
  return { ...problemOf(e, at), message: errorLines(e).join('\n') };
}
