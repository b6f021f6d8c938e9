// How errors and sizes read: an error with what went wrong, on which input, and what to do (as JSON on
// stdout too with --json), and byte counts in binary units.

import { ClaasError, exitCodeFor } from '../errors.js';
import type { CliIo } from './io.js';
import { printable } from './printable.js';

export function renderError(e: unknown): string {
  if (e instanceof ClaasError) {
    // One line per problem the error lists (a configuration error, several); no other line break.
    const lines = [`error: ${e.messageLines().map(printable).join('\n')}`];
    if (e.input !== undefined && !e.message.includes(e.input)) lines.push(`  input: ${printable(e.input)}`);
    if (e.hint !== undefined) lines.push(`  fix:   ${printable(e.hint)}`);
    return lines.join('\n');
  }
  const err = e as Error;
  return `error: unexpected failure: ${printable(err?.message ?? String(e))}\n  fix:   this is a bug in claas; please report it with the command you ran`;
}

/** An error as a JSON value (`error` of a --json document). */
export function errorJson(e: unknown): unknown {
  return e instanceof ClaasError
    ? e.toJSON()
    : { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
}

/** Prints an error (also as a JSON document on stdout with --json) and returns the exit code. */
export function reportError(io: CliIo, e: unknown): number {
  if (io.json) io.printJson({ ok: false, error: errorJson(e) });
  io.err(`${renderError(e)}\n`);
  if (process.env.CLAAS_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
  return exitCodeFor(e);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
