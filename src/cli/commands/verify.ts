// `claas verify <url-or-location>`: check a library the way a subscribing vCenter would read it.

import type { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { openStore } from '../../store/open.js';
import type { Location } from '../../store/types.js';
import { HttpLibrarySource, StoreLibrarySource } from '../../subscriber/reader.js';
import type { LibrarySource } from '../../subscriber/reader.js';
import { verifyLibrary } from '../../subscriber/verify.js';
import { addStoreFlags } from '../flags.js';
import type { CliIo } from '../io.js';
import { libJsonUrl, locationFrom, parsePositiveInt, readPasswordFile } from '../options.js';
import type { StoreFlags } from '../options.js';
import { formatBytes } from '../output.js';
import type { Verb } from '../verb.js';

/** A subscription URL with how to reach it, or a library location. */
export type VerifyTarget =
  | { kind: 'url'; url: string; passwordFile?: string; thumbprint?: string; caFile?: string }
  | { kind: 'location'; location: Location };

export interface VerifyOptions {
  target: VerifyTarget;
  deep: boolean;
  concurrency: number;
}

interface VerifyFlags extends StoreFlags {
  passwordFile?: string;
  thumbprint?: string;
  caFile?: string;
  deep?: boolean;
  concurrency: string;
}

export function define(cmd: Command): void {
  cmd
    .argument('<url-or-location>', 'subscription URL (…/lib.json) or a library location')
    .option('--password-file <file>', 'Basic auth password (user "vcsp") for the URL')
    .option(
      '--thumbprint <sha1>',
      "pin the publisher's certificate by its SHA-1 thumbprint (what vCenter shows as ssl_thumbprint)",
    )
    .option('--ca-file <pem>', "trust this CA for the publisher's certificate")
    .option('--deep', 'read every file and check its SHA-256')
    .option('--concurrency <n>', 'files checked at once', '4');
  addStoreFlags(cmd);
}

export function parse([target]: [string], flags: VerifyFlags): VerifyOptions {
  const concurrency = parsePositiveInt(flags.concurrency, '--concurrency');
  const deep = flags.deep ?? false;
  if (/^https?:\/\//i.test(target)) {
    return {
      target: {
        kind: 'url',
        url: libJsonUrl(target),
        ...(flags.passwordFile === undefined ? {} : { passwordFile: flags.passwordFile }),
        ...(flags.thumbprint === undefined ? {} : { thumbprint: flags.thumbprint }),
        ...(flags.caFile === undefined ? {} : { caFile: flags.caFile }),
      },
      deep,
      concurrency,
    };
  }
  return { target: { kind: 'location', location: locationFrom(target, flags) }, deep, concurrency };
}

async function librarySource(t: VerifyTarget): Promise<LibrarySource> {
  if (t.kind === 'location') return new StoreLibrarySource(await openStore(t.location));
  const password = t.passwordFile === undefined ? undefined : await readPasswordFile(t.passwordFile);
  return new HttpLibrarySource(t.url, {
    ...(password === undefined ? {} : { password }),
    ...(t.thumbprint === undefined ? {} : { thumbprint: t.thumbprint }),
    ...(t.caFile === undefined ? {} : { caFile: t.caFile }),
  });
}

export async function run(o: VerifyOptions, io: CliIo): Promise<number> {
  const report = await verifyLibrary(await librarySource(o.target), {
    deep: o.deep,
    concurrency: o.concurrency,
  });
  const code = report.ok ? EXIT.OK : EXIT.FAILED;
  if (io.json) {
    io.printJson(report);
    return code;
  }
  const errors = report.problems.filter((p) => p.severity === 'error');
  const warnings = report.problems.filter((p) => p.severity === 'warning');
  for (const p of report.problems) {
    io.say(
      `${p.severity === 'error' ? 'ERROR  ' : 'warning'} ${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`,
    );
  }
  const lib = report.library;
  const summary =
    `library "${lib.name}" version ${lib.version}: ${report.items} items, ${report.files} files, ${formatBytes(report.bytes)}` +
    (o.deep ? `, ${report.checkedHashes} content hashes checked` : '');
  // The verdict goes to stdout even with --quiet.
  io.result(
    report.ok
      ? `OK ${summary}${warnings.length ? ` (${warnings.length} warnings)` : ''}`
      : `FAILED ${summary}: ${errors.length} errors, ${warnings.length} warnings — a subscriber would not sync this library`,
  );
  return code;
}

export const verb: Verb<VerifyOptions, VerifyFlags, [string]> = {
  name: 'verify',
  description: 'read a library as a subscriber does and report every problem that would break a sync',
  define,
  parse,
  run,
  output: { json: 'print the report as JSON on stdout', quiet: 'print nothing but errors and the verdict' },
};
