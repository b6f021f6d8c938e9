#!/usr/bin/env node
// The claas command line: parses arguments and hands each command to its module in ./commands.

import { Command } from 'commander';
import { registerPublish } from './commands/publish.js';
import { registerServe } from './commands/serve.js';
import { registerVerify } from './commands/verify.js';
import { registerGc } from './commands/gc.js';
import { registerDemo } from './commands/demo.js';
import { registerHistory } from './commands/history.js';
import { registerRollback } from './commands/rollback.js';
import { registerAudit } from './commands/audit.js';
import { registerArchive } from './commands/archive.js';
import { registerLifecycle } from './commands/lifecycle.js';
import { registerImport } from './commands/import.js';
import { registerSubscribe } from './commands/subscribe.js';
import { registerDeploy } from './commands/deploy.js';
import { registerGateway } from './commands/gateway.js';
import { registerTenant } from './commands/tenant.js';
import { registerAccess } from './commands/access.js';
import { registerReplication } from './commands/replication.js';
import { registerMirror } from './commands/mirror.js';
import { registerStatus } from './commands/status.js';
import { CLAAS_VERSION } from './version.js';

const program = new Command();
program
  .name('claas')
  .description(
    'Content Library as a Service: publish vSphere Content Libraries to folders and S3, serve them to vCenter',
  )
  .version(CLAAS_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

registerPublish(program);
registerServe(program);
registerVerify(program);
registerGc(program);
registerDemo(program);
registerReplication(program);
registerMirror(program);
registerStatus(program);
registerGateway(program);
registerTenant(program);
registerAccess(program);
registerImport(program);
registerSubscribe(program);
registerDeploy(program);
registerHistory(program);
registerRollback(program);
registerAudit(program);
registerArchive(program);
registerLifecycle(program);

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 64);
});

await program.parseAsync(process.argv);
