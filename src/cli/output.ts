// How commands talk to the user: human text on stderr/stdout, one JSON document on stdout with --json,
// and errors rendered with what went wrong, on which input, and what to do. Everything passes through here
// escaped: names from folders, stores, remote libraries and tenants files may hold control characters
// (ESC sequences that rewrite the terminal, a newline that forges an "error:" line), shown as `import`
// shows them in its messages, the way JSON.stringify writes them (\u001b, \n).

import { ClaasError, exitCodeFor } from '../errors.js';

export interface OutputMode {
  json: boolean;
  quiet: boolean;
}

/** C0 and C1 controls, DEL, and the invisible characters that reorder or break lines on a terminal. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, less the C0 controls JSON.stringify escapes itself. */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Text as one terminal line: every control character escaped as JSON.stringify writes it (\n, \u001b). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => (c < ' ' ? JSON.stringify(c).slice(1, -1) : unicodeEscape(c)));
}

/** Text given as one line (a string) or as lines (an array), each made printable. */
function linesOf(text: string | readonly string[]): string {
  return (typeof text === 'string' ? [text] : text).map(printable).join('\n');
}

export function printJson(doc: unknown): void {
  // JSON.stringify escapes C0 controls but not DEL, C1 or bidi controls; \uXXXX is valid JSON for them too.
  process.stdout.write(`${JSON.stringify(doc, null, 2).replace(UNPRINTABLE_IN_JSON, unicodeEscape)}\n`);
}

/** A line (or lines, as an array) for people; suppressed by --json (stdout carries the JSON) and --quiet. */
export function say(mode: OutputMode, text: string | readonly string[]): void {
  if (mode.json || mode.quiet) return;
  process.stdout.write(`${linesOf(text)}\n`);
}

/** A result line on stdout that --quiet keeps (a verdict), unless stdout carries JSON. */
export function sayResult(mode: OutputMode, text: string): void {
  if (mode.json) return;
  process.stdout.write(`${printable(text)}\n`);
}

/** A status line (or lines, as an array) on stderr (does not mix with stdout pipes). */
export function note(mode: OutputMode, text: string | readonly string[]): void {
  if (mode.quiet) return;
  process.stderr.write(`${linesOf(text)}\n`);
}

/** A warning on stderr that even --quiet shows (a security problem the user must hear about). */
export function warn(text: string): void {
  process.stderr.write(`warning: ${printable(text)}\n`);
}

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
