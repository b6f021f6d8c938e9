// Flags several commands share, defined once so they read the same everywhere: the S3 location flags, the
// library target (--config / --location), defaults applied at run time (shown in --help like commander's
// own), and old spellings that keep working with a deprecation notice.

import { Option } from 'commander';
import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { parseListen, parsePositiveInt } from './options.js';
import type { Deprecated } from './verb.js';

/**
 * An option whose default is applied at run time (computed, or by the module the command calls) rather than
 * by commander: --help shows `(default: <shown>)` like any other default (see help.ts).
 */
export function defaulted(flags: string, description: string, shown: string): Option {
  return new Option(flags, description).default(undefined, shown);
}

/** An old spelling of a flag: accepted, hidden from --help. */
export function oldSpelling(flags: string): Option {
  return new Option(flags).hideHelp();
}

/**
 * The value of a flag, or of its old spelling (reported as deprecated); both at once are refused.
 * `command` is how the notice names the command ("serve", "archive restore").
 */
export function renamed<T>(
  command: string,
  current: { flag: string; value: T | undefined },
  old: { flag: string; value: T | undefined },
  deprecated: Deprecated,
): T | undefined {
  if (old.value === undefined) return current.value;
  if (current.value !== undefined) {
    throw badInput(`give ${current.flag} only (${old.flag} is its old name)`, old.flag);
  }
  deprecated(`claas: ${old.flag} is deprecated for ${command}; use ${current.flag}`);
  return old.value;
}

/** --endpoint, --region, --profile, --store-timeout: where an s3:// location is and whose credentials reach it. */
export function addStoreFlags(cmd: Command): Command {
  return cmd
    .addOption(
      defaulted(
        '--endpoint <url>',
        'S3 endpoint URL for S3-compatible stores',
        'AWS, or $AWS_ENDPOINT_URL_S3',
      ),
    )
    .addOption(defaulted('--region <region>', 'S3 region', '$AWS_REGION, else us-east-1'))
    .addOption(
      defaulted(
        '--profile <name>',
        'AWS profile from the shared config/credentials files',
        'the standard credential chain',
      ),
    )
    .addOption(
      defaulted(
        '--store-timeout <duration>',
        'give up on an S3 store that has not answered for this long (0 = never)',
        '5m, or $CLAAS_STORE_TIMEOUT',
      ),
    );
}

/** --config / --location and the S3 flags: the library a history/rollback/audit/archive/lifecycle command works on. */
export function addTargetFlags(cmd: Command): Command {
  cmd
    .option('--config <file>', 'claas.yaml: work on the library at its origin')
    .option(
      '--location <location>',
      'the library location (file:<path>, a path or s3://bucket/prefix) without a configuration',
    );
  return addStoreFlags(cmd);
}

/** --sse / --kms-key-id for what a command writes. */
export function addSseFlags(cmd: Command, what: string, shown?: string): Command {
  const sse = `server-side encryption of ${what}: AES256 or aws:kms`;
  return cmd
    .addOption(shown === undefined ? new Option('--sse <mode>', sse) : defaulted('--sse <mode>', sse, shown))
    .option('--kms-key-id <id>', 'KMS key for --sse aws:kms');
}

/** --gc-grace / --no-gc of the commands that commit a library version. */
export function addGcFlags(
  cmd: Command,
  keep = 'keep superseded files this long for subscribers mid-sync',
): Command {
  return cmd
    .option('--gc-grace <duration>', keep, '24h')
    .option('--no-gc', 'do not delete superseded files after the commit');
}

export interface ListenFlags {
  listen?: string;
  /** Old spellings: --host <address> and --port <n>. */
  host?: string;
  port?: string;
}

/** --listen, with the old --host / --port accepted (serve, demo). */
export function addListenFlag(cmd: Command, description: string, shown: string): Command {
  return cmd
    .addOption(defaulted('--listen <host:port>', description, shown))
    .addOption(oldSpelling('--host <address>'))
    .addOption(oldSpelling('--port <n>'));
}

/** The listen address from --listen, or from the old --host / --port (reported as deprecated). */
export function listenFrom(
  command: string,
  flags: ListenFlags,
  fallback: string,
  deprecated: Deprecated,
): { host: string; port: number } {
  if (flags.host === undefined && flags.port === undefined) return parseListen(flags.listen ?? fallback);
  if (flags.listen !== undefined) {
    throw badInput(
      'give --listen host:port only (--host and --port are its old names)',
      flags.host === undefined ? '--port' : '--host',
    );
  }
  const given = parseListen(fallback);
  for (const old of ['host', 'port'] as const) {
    if (flags[old] !== undefined) deprecated(`claas: --${old} is deprecated for ${command}; use --listen`);
  }
  const port =
    flags.port === undefined
      ? given.port
      : Number(flags.port) === 0
        ? 0
        : parsePositiveInt(flags.port, '--port');
  return { host: flags.host ?? given.host, port };
}
