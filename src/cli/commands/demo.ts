// `claas demo`: the quick start. Generates a small sample library (an OVF template with a disk, an ISO and
// a text file), publishes it to a local folder, serves it with a password, checks it as a subscriber
// would, and prints what to paste into vCenter's "New Content Library > Subscribed" dialog.

import type { Command } from 'commander';
import { mkdir, writeFile, readFile, chmod } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { writeSampleSource } from '../../demo/samples.js';
import { readFolderSource } from '../../sources/folder.js';
import { publish } from '../../publish/publish.js';
import { openStore } from '../../store/open.js';
import { startVcspServer } from '../../gateway/vcsp-server.js';
import { HttpLibrarySource } from '../../subscriber/reader.js';
import { verifyLibrary } from '../../subscriber/verify.js';
import { parsePositiveInt } from '../options.js';
import { printJson, say, note } from '../output.js';
import { runCommand } from '../run.js';
import { ClaasError } from '../../errors.js';

interface DemoFlags {
  dir: string;
  port: string;
  host: string;
  serve: boolean;
  json?: boolean;
  quiet?: boolean;
}

async function demoPassword(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing && existing.trim().length > 0) return existing.trim();
  const pw = randomBytes(18).toString('base64url');
  await writeFile(file, `${pw}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return pw;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build a sample library, publish it to a local folder and serve it for vCenter to subscribe')
    .option('--dir <folder>', 'where the sample source, library and password go', 'claas-demo')
    .option('--port <n>', 'TCP port to serve on', '8080')
    .option(
      '--host <address>',
      'address to listen on (use 0.0.0.0 to let a vCenter on your network reach it)',
      '127.0.0.1',
    )
    .option('--no-serve', 'publish and verify, then exit instead of serving')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (flags: DemoFlags) => {
      await runCommand(flags, async (mode) => {
        const dir = resolve(flags.dir);
        const sourceDir = join(dir, 'source');
        const libraryDir = join(dir, 'library');
        const passwordFile = join(dir, 'password');
        await mkdir(sourceDir, { recursive: true });
        note(mode, `writing sample content to ${sourceDir}`);
        await writeSampleSource(sourceDir);
        const store = await openStore({ kind: 'fs', path: libraryDir });
        const input = await readFolderSource(sourceDir, { cacheFile: join(dir, '.hash-cache.json') });
        const result = await publish(input, {
          store,
          name: 'claas-demo',
          description: 'Sample library made by claas demo',
        });
        note(
          mode,
          `published library "${result.library.name}" version ${result.library.version} to ${libraryDir}`,
        );
        const password = await demoPassword(passwordFile);
        // With --no-serve the check runs on a free port; the URL printed is the one `claas serve` will use.
        const port = !flags.serve || Number(flags.port) === 0 ? 0 : parsePositiveInt(flags.port, '--port');
        const publicUrl = (url: string): string =>
          flags.serve ? url : `http://${flags.host}:${flags.port}/lib.json`;
        const server = await startVcspServer({ store, host: flags.host, port, password });
        try {
          const check = await verifyLibrary(new HttpLibrarySource(server.url, { password }), { deep: true });
          if (!check.ok) {
            throw new ClaasError(
              'INTERNAL',
              `the demo library failed its own subscriber check: ${check.problems.map((p) => p.message).join('; ')}`,
            );
          }
          const summary = {
            ok: true,
            library: result.library,
            libraryPath: libraryDir,
            subscriptionUrl: publicUrl(server.url),
            authentication: 'BASIC',
            user: 'vcsp',
            passwordFile,
            items: check.items,
            files: check.files,
            verified: { items: check.items, files: check.files, checkedHashes: check.checkedHashes },
          };
          if (mode.json) printJson(summary);
          else {
            say(mode, '');
            say(
              mode,
              `checked as a subscriber: ${check.items} items, ${check.files} files, ${check.checkedHashes} content hashes OK`,
            );
            say(mode, '');
            say(
              mode,
              'In the vSphere Client: Content Libraries > Create > Subscribed content library, then enter:',
            );
            say(mode, `  Subscription URL:  ${publicUrl(server.url)}`);
            say(mode, '  Authentication:    Enable authentication (Basic), user name "vcsp"');
            say(mode, `  Password:          the first line of ${passwordFile}`);
            say(mode, '  Download content:  immediately (or "when needed")');
            if (flags.host === '127.0.0.1')
              say(
                mode,
                '(listening on 127.0.0.1 only: pass --host 0.0.0.0 so a vCenter on your network can reach it)',
              );
          }
          if (!flags.serve) {
            say(mode, '');
            say(
              mode,
              `serve it with: claas serve ${libraryDir} --port ${flags.port} --host ${flags.host} --password-file ${passwordFile}`,
            );
            return 0;
          }
          say(mode, 'serving; press Ctrl-C to stop');
          await new Promise<void>((resolveStop) => {
            const stop = (): void => resolveStop();
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
          });
          return 0;
        } finally {
          await server.close();
        }
      });
    });
}
