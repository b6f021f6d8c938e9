// How commands talk to the user: human text on stderr/stdout, one JSON document on stdout with --json,
// and errors rendered with what went wrong, on which input, and what to do.

import { ClaasError, exitCodeFor } from '../errors.js';

export interface OutputMode {
  json: boolean;
  quiet: boolean;
}

export function printJson(doc: unknown): void {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

/** A line for people; suppressed by --json (stdout carries the JSON) and --quiet. */
export function say(mode: OutputMode, line: string): void {
  if (mode.json || mode.quiet) return;
  process.stdout.write(`${line}\n`);
}

/** A status line on stderr (does not mix with stdout pipes). */
export function note(mode: OutputMode, line: string): void {
  if (mode.quiet) return;
  process.stderr.write(`${line}\n`);
}

export function renderError(e: unknown): string {
  if (e instanceof ClaasError) {
    const lines = [`error: ${e.message}`];
    if (e.input !== undefined && !e.message.includes(e.input)) lines.push(`  input: ${e.input}`);
    if (e.hint !== undefined) lines.push(`  fix:   ${e.hint}`);
    return lines.join('\n');
  }
  const err = e as Error;
  return `error: unexpected failure: ${err?.message ?? String(e)}\n  fix:   this is a bug in claas; please report it with the command you ran`;
}

/** Prints an error (as JSON with --json) and returns the exit code. */
export function reportError(mode: OutputMode, e: unknown): number {
  if (mode.json) {
    const doc =
      e instanceof ClaasError
        ? e.toJSON()
        : { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
    printJson({ ok: false, error: doc });
  }
  process.stderr.write(`${renderError(e)}\n`);
  if (process.env.CLAAS_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
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
