#!/usr/bin/env node
// The claas command line: parses arguments and hands each command to its module in ./commands.

import { Command } from 'commander';
import { createRequire } from 'node:module';
import { registerPublish } from './commands/publish.js';
import { registerServe } from './commands/serve.js';
import { registerVerify } from './commands/verify.js';
import { registerGc } from './commands/gc.js';
import { registerDemo } from './commands/demo.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

const program = new Command();
program
  .name('claas')
  .description(
    'Content Library as a Service: publish vSphere Content Libraries to folders and S3, serve them to vCenter',
  )
  .version(pkg.version)
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

registerPublish(program);
registerServe(program);
registerVerify(program);
registerGc(program);
registerDemo(program);
// anchor: replication commands (publish --config, replication, mirror, status)
// anchor: gateway commands (gateway, tenant, access)
// anchor: vcenter commands (import, subscribe, deploy)
// anchor: archive commands (history, rollback, audit, archive, lifecycle)

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 64);
});

await program.parseAsync(process.argv);
