// The output sink every command writes through: stdout and stderr, the --json and --quiet modes, and the
// terminal progress displays draw on. A command's run gets one as an argument, so a test can run the command
// in-process and read what it printed. Lines for people and JSON pass through printable.ts: names from
// folders, stores and remote libraries never reach the terminal with raw control characters.

import { printable, printableLines, terminalSafeJson } from './printable.js';

/** Where text goes: process.stdout / process.stderr, or a buffer in a test. */
export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface OutputMode {
  /** --json: stdout carries one JSON document (or one JSON line per round with --watch). */
  json: boolean;
  /** --quiet: nothing but errors (and the results a command prints regardless, which its help names). */
  quiet: boolean;
}

export interface CliIo extends OutputMode {
  /** The writers underneath. */
  readonly streams: { stdout: Writer; stderr: Writer };
  /** Text on stdout as it is, whatever the mode: a result a script reads (a VM id, a verdict, a password). */
  out(text: string): void;
  /** Text on stderr as it is, whatever the mode. */
  err(text: string): void;
  /**
   * A line for people on stdout (a string is one line: a newline in it is escaped; give several lines as
   * an array); suppressed by --json (stdout carries the JSON) and --quiet.
   */
  say(text: string | readonly string[]): void;
  /** A result line on stdout that --quiet keeps (a verdict), unless stdout carries JSON. */
  result(line: string): void;
  /** A status line (or lines, as an array) on stderr (does not mix with stdout pipes); suppressed by --quiet. */
  note(text: string | readonly string[]): void;
  /** A warning on stderr that even --quiet shows (a security problem the user must hear about). */
  warn(line: string): void;
  /** The JSON document on stdout, indented. */
  printJson(doc: unknown): void;
  /** One JSON document on one line of stdout (a round of --watch). */
  printJsonLine(doc: unknown): void;
  /** The terminal for progress displays: stderr when it is a TTY and neither --json nor --quiet is set. */
  terminal(): NodeJS.WriteStream | undefined;
}

export function createIo(
  mode: OutputMode,
  streams: { stdout: Writer; stderr: Writer } = { stdout: process.stdout, stderr: process.stderr },
): CliIo {
  const { stdout, stderr } = streams;
  return {
    streams,
    json: mode.json,
    quiet: mode.quiet,
    out: (text) => void stdout.write(text),
    err: (text) => void stderr.write(text),
    say: (text) => {
      if (!mode.json && !mode.quiet) stdout.write(`${printableLines(text)}\n`);
    },
    result: (line) => {
      if (!mode.json) stdout.write(`${printable(line)}\n`);
    },
    note: (text) => {
      if (!mode.quiet) stderr.write(`${printableLines(text)}\n`);
    },
    warn: (line) => void stderr.write(`warning: ${printable(line)}\n`),
    printJson: (doc) => void stdout.write(`${terminalSafeJson(JSON.stringify(doc, null, 2))}\n`),
    printJsonLine: (doc) => void stdout.write(`${terminalSafeJson(JSON.stringify(doc))}\n`),
    terminal: () =>
      mode.json || mode.quiet || stderr.isTTY !== true ? undefined : (stderr as NodeJS.WriteStream),
  };
}

/** The same sink with another mode (e.g. an error rendered as text while stdout carries JSON lines). */
export function withMode(io: CliIo, mode: Partial<OutputMode>): CliIo {
  return createIo({ json: mode.json ?? io.json, quiet: mode.quiet ?? io.quiet }, io.streams);
}
