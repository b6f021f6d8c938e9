// What a command is: a verb with its flag definitions, a pure parse of what commander read into the
// command's options, and a run of those options against an output sink. The program wires verbs to commander
// (addVerb); tests parse an argv (parseArgv) or run a verb in-process with captured output (runArgv).

import { Command } from 'commander';
import { createIo } from './io.js';
import type { CliIo, OutputMode, Writer } from './io.js';
import { reportError } from './output.js';
import { watchStores } from './store-watchdog.js';

/** Collects deprecation notices (old flag spellings) while parsing; they go to stderr, never stdout. */
export type Deprecated = (notice: string) => void;

export interface Verb<O = unknown, F = Record<string, unknown>, A extends readonly unknown[] = string[]> {
  /** The word after `claas` (or after the group, e.g. `snapshot` in `claas archive snapshot`). */
  name: string;
  description: string;
  /** Arguments and options of the verb (not --json / --quiet: every verb gets those from addVerb). */
  define(cmd: Command): void;
  /**
   * The verb's options from the arguments and flag values commander read: validated, typed, defaults
   * applied; no I/O. Throws a ClaasError naming the flag on a bad value; reports old spellings to `deprecated`.
   */
  parse(args: A, flags: F, deprecated: Deprecated): O;
  /** Runs the verb; everything it prints goes through io. Resolves to the exit code. */
  run(options: O, io: CliIo): Promise<number>;
  /** What --json and --quiet do when it is more than "print the result as JSON" / "print nothing but errors". */
  output?: { json?: string; quiet?: string };
  /** Output mode from the flags when it is not just --json / --quiet (a command whose output is JSON by default). */
  mode?(flags: F): OutputMode;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyVerb = Verb<any, any, any>;

const JSON_HELP = 'print the result as JSON on stdout';
const QUIET_HELP = 'print nothing but errors';

function defineAll(cmd: Command, verb: AnyVerb): void {
  verb.define(cmd);
  cmd
    .option('--json', verb.output?.json ?? JSON_HELP)
    .option('-q, --quiet', verb.output?.quiet ?? QUIET_HELP);
}

function modeOf(verb: AnyVerb, flags: Record<string, unknown>): OutputMode {
  return verb.mode?.(flags) ?? { json: flags.json === true, quiet: flags.quiet === true };
}

/**
 * Parses and runs a verb: deprecation notices on stderr, errors rendered (as JSON too with --json), the exit
 * code returned.
 */
export async function runVerb(
  verb: AnyVerb,
  args: readonly unknown[],
  flags: Record<string, unknown>,
  streams?: { stdout: Writer; stderr: Writer },
): Promise<number> {
  const io = createIo(modeOf(verb, flags), streams);
  try {
    const options: unknown = verb.parse(args, flags, (notice) => io.err(`${notice}\n`));
    watchStores({ storeTimeout: flags.storeTimeout as string | undefined }, io);
    return await verb.run(options, io);
  } catch (e) {
    return reportError(io, e);
  }
}

/** Adds a verb as a subcommand of parent (the program or a group such as `archive`). */
export function addVerb(parent: Command, verb: AnyVerb): Command {
  const cmd = parent.command(verb.name).description(verb.description);
  defineAll(cmd, verb);
  cmd.action(async () => {
    process.exitCode = await runVerb(verb, cmd.processedArgs, cmd.opts());
  });
  return cmd;
}

/** A standalone commander Command for one verb that throws instead of exiting and prints nothing. */
export function standalone(verb: AnyVerb): Command {
  const cmd = new Command(verb.name)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  defineAll(cmd, verb);
  return cmd.action(() => undefined);
}

/**
 * The options a verb gets from argv (the words after the verb), and the deprecation notices on the way;
 * commander's own errors (unknown option, missing argument) throw a CommanderError.
 */
export function parseArgv<O>(
  verb: Verb<O, never, never>,
  argv: string[],
): { options: O; notices: string[]; flags: Record<string, unknown> } {
  const cmd = standalone(verb as AnyVerb).parse(argv, { from: 'user' });
  const notices: string[] = [];
  const flags = cmd.opts();
  const options = (verb as AnyVerb).parse(cmd.processedArgs, flags, (n) => notices.push(n)) as O;
  return { options, notices, flags };
}

/** Parses argv and runs the verb in-process with the given writers, as the program would; the exit code. */
export async function runArgv(
  verb: AnyVerb,
  argv: string[],
  streams: { stdout: Writer; stderr: Writer },
): Promise<number> {
  const cmd = standalone(verb).parse(argv, { from: 'user' });
  return runVerb(verb, cmd.processedArgs, cmd.opts(), streams);
}
