// `claas import vcsp <url> --to <location>`: publish any published library (vCenter, claas, a web server,
// make_vcsp_2018.py output) read from its URL into a library location, incrementally.

import type { Command } from 'commander';
import { ClaasError } from '../../../errors.js';
import { openVcspSource } from '../../../sources/vcsp.js';
import type { CliIo } from '../../io.js';
import { libJsonUrl, readPasswordFile } from '../../options.js';
import type { Verb } from '../../verb.js';
import { addImportOptions, destinationOf, openDestination, runImport } from './shared.js';
import type { ImportDestination, ImportFlags } from './shared.js';

export interface ImportVcspOptions {
  url: string;
  passwordFile?: string;
  thumbprint?: string;
  caFile?: string;
  destination: ImportDestination;
}

interface VcspImportFlags extends ImportFlags {
  passwordFile?: string;
  thumbprint?: string;
  caFile?: string;
}

export function define(cmd: Command): void {
  cmd
    .argument('<url>', 'the library URL (…/lib.json)')
    .option('--password-file <file>', 'Basic auth password (user "vcsp") for the URL')
    .option('--thumbprint <sha1>', "pin the publisher's certificate by its SHA-1 thumbprint")
    .option('--ca-file <pem>', "trust this CA for the publisher's certificate");
  addImportOptions(cmd);
}

export function parse([url]: [string], flags: VcspImportFlags): ImportVcspOptions {
  let libUrl: string;
  try {
    libUrl = libJsonUrl(url);
  } catch {
    throw new ClaasError('BAD_INPUT', 'Not a library URL', {
      input: '(library URL)',
      hint: 'Give the URL of the lib.json, e.g. https://gw.example.com/templates/lib.json.',
    });
  }
  return {
    url: libUrl,
    ...(flags.passwordFile === undefined ? {} : { passwordFile: flags.passwordFile }),
    ...(flags.thumbprint === undefined ? {} : { thumbprint: flags.thumbprint }),
    ...(flags.caFile === undefined ? {} : { caFile: flags.caFile }),
    destination: destinationOf(flags),
  };
}

export async function run(o: ImportVcspOptions, io: CliIo): Promise<number> {
  const password = o.passwordFile === undefined ? undefined : await readPasswordFile(o.passwordFile);
  const store = await openDestination(o.destination);
  const remote = await openVcspSource(o.url, {
    ...(password === undefined ? {} : { password }),
    ...(o.thumbprint === undefined ? {} : { thumbprint: o.thumbprint }),
    ...(o.caFile === undefined ? {} : { caFile: o.caFile }),
  });
  try {
    return await runImport(io, o.destination, store, remote);
  } finally {
    remote.close();
  }
}

export const verb: Verb<ImportVcspOptions, VcspImportFlags, [string]> = {
  name: 'vcsp',
  description:
    'import any published library (vCenter, claas, a web server, make_vcsp_2018.py output) from its URL',
  define,
  parse,
  run,
};
