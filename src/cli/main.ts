#!/usr/bin/env node
// The claas command line: parses arguments and hands the command to its verb (catalog.ts loads only that
// verb's module).

import { Command } from 'commander';
import { registerFor } from './catalog.js';
import { HELP_CONFIG } from './help.js';
import { CLAAS_VERSION } from './version.js';

const program = new Command();
program
  .name('claas')
  .description(
    'Content Library as a Service: publish vSphere Content Libraries to folders and S3, serve them to vCenter',
  )
  .version(CLAAS_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) })
  .configureHelp(HELP_CONFIG);

await registerFor(program, process.argv.slice(2));

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 64);
});

await program.parseAsync(process.argv);
