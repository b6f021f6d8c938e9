#!/usr/bin/env node
// The claas command line: parses arguments and hands each command to its module in ./commands.

import { Command } from 'commander';
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

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when that command runs: a command's dependencies (the AWS SDK, the
 * gateway, the vCenter client) cost start-up time, which a no-op publish would otherwise mostly be.
 * Order = the order of `claas --help`.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  publish: async () => (await import('./commands/publish.js')).registerPublish,
  serve: async () => (await import('./commands/serve.js')).registerServe,
  verify: async () => (await import('./commands/verify.js')).registerVerify,
  gc: async () => (await import('./commands/gc.js')).registerGc,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  replication: async () => (await import('./commands/replication.js')).registerReplication,
  mirror: async () => (await import('./commands/mirror.js')).registerMirror,
  status: async () => (await import('./commands/status.js')).registerStatus,
  gateway: async () => (await import('./commands/gateway.js')).registerGateway,
  tenant: async () => (await import('./commands/tenant.js')).registerTenant,
  access: async () => (await import('./commands/access.js')).registerAccess,
  import: async () => (await import('./commands/import.js')).registerImport,
  subscribe: async () => (await import('./commands/subscribe.js')).registerSubscribe,
  deploy: async () => (await import('./commands/deploy.js')).registerDeploy,
  history: async () => (await import('./commands/history.js')).registerHistory,
  rollback: async () => (await import('./commands/rollback.js')).registerRollback,
  audit: async () => (await import('./commands/audit.js')).registerAudit,
  archive: async () => (await import('./commands/archive.js')).registerArchive,
  lifecycle: async () => (await import('./commands/lifecycle.js')).registerLifecycle,
};

// The command word is the first argument that is not an option; anything else (--help, help, a typo)
// registers every command so help and "did you mean" see them all.
const word = process.argv.slice(2).find((a) => !a.startsWith('-'));
const chosen =
  word !== undefined && Object.hasOwn(COMMANDS, word) ? [COMMANDS[word]!] : Object.values(COMMANDS);
for (const register of await Promise.all(chosen.map((load) => load()))) register(program);

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 64);
});

await program.parseAsync(process.argv);
