// `claas verify <url-or-location>`: check a library the way a subscribing vCenter would read it.

import type { Command } from 'commander';
import { openStore } from '../../store/open.js';
import { HttpLibrarySource, StoreLibrarySource } from '../../subscriber/reader.js';
import type { LibrarySource } from '../../subscriber/reader.js';
import { verifyLibrary } from '../../subscriber/verify.js';
import { locationFrom, parsePositiveInt, readPasswordFile } from '../options.js';
import type { StoreFlags } from '../options.js';
import { formatBytes, printJson, say, sayResult } from '../output.js';
import { runCommand } from '../run.js';
import { addStoreFlags } from './publish.js';
import { EXIT } from '../../errors.js';

interface VerifyFlags extends StoreFlags {
  passwordFile?: string;
  thumbprint?: string;
  caFile?: string;
  deep?: boolean;
  concurrency?: string;
  json?: boolean;
  quiet?: boolean;
}

export function libJsonUrl(url: string): string {
  return /\/lib\.json$/.test(new URL(url).pathname) ? url : `${url.replace(/\/+$/, '')}/lib.json`;
}

export async function librarySourceFor(target: string, flags: VerifyFlags): Promise<LibrarySource> {
  if (/^https?:\/\//i.test(target)) {
    const password = flags.passwordFile ? await readPasswordFile(flags.passwordFile) : undefined;
    return new HttpLibrarySource(libJsonUrl(target), {
      ...(password === undefined ? {} : { password }),
      ...(flags.thumbprint === undefined ? {} : { thumbprint: flags.thumbprint }),
      ...(flags.caFile === undefined ? {} : { caFile: flags.caFile }),
    });
  }
  return new StoreLibrarySource(await openStore(locationFrom(target, flags)));
}

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description('read a library as a subscriber does and report every problem that would break a sync')
    .argument('<url-or-location>', 'subscription URL (…/lib.json) or a library location')
    .option('--password-file <file>', 'Basic auth password (user "vcsp") for the URL')
    .option(
      '--thumbprint <sha1>',
      "pin the server certificate by its SHA-1 thumbprint (vCenter's ssl_thumbprint)",
    )
    .option('--ca-file <pem>', 'trust this CA for HTTPS')
    .option('--deep', 'read every file and check its SHA-256')
    .option('--concurrency <n>', 'files checked at once', '4')
    .option('--json', 'print the report as JSON on stdout')
    .option('-q, --quiet', 'print nothing but the verdict');
  addStoreFlags(cmd);
  cmd.action(async (target: string, flags: VerifyFlags) => {
    await runCommand(flags, async (mode) => {
      const source = await librarySourceFor(target, flags);
      const report = await verifyLibrary(source, {
        deep: flags.deep ?? false,
        concurrency: parsePositiveInt(flags.concurrency ?? '4', '--concurrency'),
      });
      if (mode.json) {
        printJson(report);
        return report.ok ? EXIT.OK : EXIT.FAILED;
      }
      const errors = report.problems.filter((p) => p.severity === 'error');
      const warnings = report.problems.filter((p) => p.severity === 'warning');
      for (const p of report.problems) {
        say(
          mode,
          `${p.severity === 'error' ? 'ERROR  ' : 'warning'} ${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`,
        );
      }
      const lib = report.library;
      const summary =
        `library "${lib.name}" version ${lib.version}: ${report.items} items, ${report.files} files, ${formatBytes(report.bytes)}` +
        (flags.deep ? `, ${report.checkedHashes} content hashes checked` : '');
      sayResult(
        mode,
        report.ok
          ? `OK ${summary}${warnings.length ? ` (${warnings.length} warnings)` : ''}`
          : `FAILED ${summary}: ${errors.length} errors, ${warnings.length} warnings — a subscriber would not sync this library`,
      );
      return report.ok ? EXIT.OK : EXIT.FAILED;
    });
  });
}
