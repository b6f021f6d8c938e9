// `claas import vcenter ...` and `claas import vcsp <url> ...`: publish a library read from a vCenter or
// from any VCSP endpoint into a library location, streaming through the destination's staging area, and
// incrementally (items unchanged at the source are not downloaded again).

import type { Command } from 'commander';
import { ClaasError } from '../../errors.js';
import { openStore } from '../../store/open.js';
import type { ObjectStore } from '../../store/types.js';
import { DEFAULT_GC_GRACE_MS } from '../../publish/publish.js';
import { importLibrary } from '../../sources/import.js';
import type { ImportEvent, ImportOptions, ImportResult, RemoteLibrary } from '../../sources/import.js';
import { openVcspSource } from '../../sources/vcsp.js';
import { readVcenterSource } from '../../sources/vcenter.js';
import { collect, locationFrom, parseDuration, parsePositiveInt, readPasswordFile } from '../options.js';
import type { StoreFlags } from '../options.js';
import { formatBytes, note, printJson, say } from '../output.js';
import type { OutputMode } from '../output.js';
import { progressRenderer } from '../progress.js';
import { abortOnInterrupt, runCommand } from '../run.js';
import { addVcenterLoginOptions, vcenterLoginFrom, withVcenter } from '../vcenter-login.js';
import type { VcenterLoginFlags } from '../vcenter-login.js';
import { addStoreFlags, assertUsableDestination } from './publish.js';
import { libJsonUrl } from './verify.js';

interface ImportFlags extends StoreFlags {
  to: string;
  name?: string;
  description?: string;
  adopt?: boolean;
  gcGrace?: string;
  gc: boolean;
  concurrency?: string;
  createBucket?: boolean;
  json?: boolean;
  quiet?: boolean;
}

interface VcenterImportFlags extends ImportFlags, VcenterLoginFlags {
  library: string;
  item?: string[];
}

interface VcspImportFlags extends ImportFlags {
  passwordFile?: string;
  thumbprint?: string;
  caFile?: string;
}

function addImportOptions(cmd: Command): Command {
  cmd
    .requiredOption(
      '--to <location>',
      'destination library: file:<path>, a plain path, or s3://bucket/prefix',
    )
    .option(
      '--name <name>',
      'library name (default: the existing library name, else the source library name)',
    )
    .option('--description <text>', 'library description (default: the source library description)')
    .option('--adopt', 'take over a library another tool wrote at the destination, keeping ids and versions')
    .option('--gc-grace <duration>', 'keep superseded files this long for subscribers mid-sync', '24h')
    .option('--no-gc', 'do not delete superseded files after the commit')
    .option('--concurrency <n>', 'items downloaded at once (default 2)')
    .option('--create-bucket', 'create the S3 bucket when it does not exist')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'print nothing but errors');
  return addStoreFlags(cmd);
}

async function destinationStore(flags: ImportFlags): Promise<ObjectStore> {
  const loc = locationFrom(flags.to, flags);
  await assertUsableDestination(loc);
  return openStore(loc, flags.createBucket ? { createBucket: true } : {});
}

/** Runs an import with progress, Ctrl-C handling and the summary; returns the exit code. */
async function runImport(
  mode: OutputMode,
  flags: ImportFlags,
  store: ObjectStore,
  remote: RemoteLibrary,
): Promise<number> {
  const progress = progressRenderer(mode);
  const onEvent = (e: ImportEvent): void => {
    if (e.type === 'import-item') {
      note(
        mode,
        `${e.action === 'reuse' ? 'unchanged' : 'fetching'} ${e.name}${e.action === 'fetch' ? `: ${e.reason}` : ''}`,
      );
      return;
    }
    if (e.type === 'import-file') return;
    if (e.type === 'warning') note(mode, `warning: ${e.message}${e.input ? ` (${e.input})` : ''}`);
    progress.sink(e);
  };
  const { controller, dispose: stopListening } = abortOnInterrupt('run the same command again to continue');
  let result: ImportResult;
  try {
    const options: ImportOptions = {
      store,
      ...(flags.name === undefined ? {} : { name: flags.name }),
      ...(flags.description === undefined ? {} : { description: flags.description }),
      adopt: flags.adopt ?? false,
      gcGraceMs:
        flags.gcGrace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(flags.gcGrace, '--gc-grace'),
      noGc: !flags.gc,
      ...(flags.concurrency === undefined
        ? {}
        : { itemConcurrency: parsePositiveInt(flags.concurrency, '--concurrency') }),
      onEvent,
      signal: controller.signal,
    };
    result = await importLibrary(remote, options);
  } finally {
    progress.stop();
    stopListening();
  }
  const p = result.publish;
  if (mode.json) {
    printJson({
      ok: true,
      source: result.source,
      location: result.location,
      library: p.library,
      committed: p.committed,
      adopted: p.adopted,
      items: result.items,
      download: result.download,
      changes: p.changes,
      upload: p.upload,
      ...(p.gc === undefined ? {} : { gc: p.gc }),
      warnings: result.warnings,
    });
    return 0;
  }
  for (const c of p.changes) {
    if (c.kind === 'unchanged') continue;
    const v = c.kind === 'removed' ? '' : ` (v${c.fromVersion ?? 0} -> v${c.toVersion ?? 1})`;
    say(mode, `  ${c.kind.padEnd(8)} ${c.name}${v}`);
  }
  const d = result.download;
  const fetched =
    `downloaded ${d.files} files (${formatBytes(d.bytes)}) of ${d.items} items` +
    (d.dedupedFiles > 0 ? `, ${d.dedupedFiles} files already at the destination` : '') +
    `, ${result.items.length - d.items} items unchanged`;
  say(
    mode,
    p.committed
      ? `imported ${result.source.url} into ${result.location}: library "${p.library.name}" version ${p.library.version}` +
          `${p.library.previousVersion === undefined ? '' : ` (was ${p.library.previousVersion})`}; ${fetched}`
      : `${result.location} is up to date with ${result.source.url}: library "${p.library.name}" version ${p.library.version}; ${fetched}`,
  );
  return 0;
}

export function registerImport(program: Command): void {
  const group = program
    .command('import')
    .description('publish a library read from a vCenter or from any VCSP endpoint into a library location');

  const vcenter = group
    .command('vcenter')
    .description("import a vCenter content library's items (streamed from download sessions)")
    .requiredOption('--library <name>', 'the vCenter library (name or id)')
    .option(
      '--item <name>',
      'import only this item (repeatable; the destination then holds just these)',
      collect,
    );
  addVcenterLoginOptions(vcenter);
  addImportOptions(vcenter);
  vcenter.action(async (flags: VcenterImportFlags) => {
    await runCommand(flags, async (mode) => {
      const login = await vcenterLoginFrom(flags);
      const store = await destinationStore(flags);
      return withVcenter(login, async (api) => {
        const remote = await readVcenterSource(api, {
          library: flags.library,
          ...(flags.item === undefined ? {} : { items: flags.item }),
        });
        return runImport(mode, flags, store, remote);
      });
    });
  });

  const vcsp = group
    .command('vcsp')
    .description(
      'import any published library (vCenter, claas, a web server, make_vcsp_2018.py output) from its URL',
    )
    .argument('<url>', 'the library URL (…/lib.json)')
    .option('--password-file <file>', 'Basic auth password (user "vcsp") for the URL')
    .option('--thumbprint <sha1>', "pin the publisher's certificate by its SHA-1 thumbprint")
    .option('--ca-file <pem>', "trust this CA for the publisher's certificate");
  addImportOptions(vcsp);
  vcsp.action(async (url: string, flags: VcspImportFlags) => {
    await runCommand(flags, async (mode) => {
      let libUrl: string;
      try {
        libUrl = libJsonUrl(url);
      } catch {
        throw new ClaasError('BAD_INPUT', 'Not a library URL', {
          input: '(library URL)',
          hint: 'Give the URL of the lib.json, e.g. https://gw.example.com/templates/lib.json.',
        });
      }
      const password = flags.passwordFile ? await readPasswordFile(flags.passwordFile) : undefined;
      const store = await destinationStore(flags);
      const remote = await openVcspSource(libUrl, {
        ...(password === undefined ? {} : { password }),
        ...(flags.thumbprint === undefined ? {} : { thumbprint: flags.thumbprint }),
        ...(flags.caFile === undefined ? {} : { caFile: flags.caFile }),
      });
      try {
        return await runImport(mode, flags, store, remote);
      } finally {
        remote.close();
      }
    });
  });
}
