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
import type { PublishResult } from '../../publish/publish.js';
import { openStore } from '../../store/open.js';
import type { ObjectStore } from '../../store/types.js';
import { startVcspServer } from '../../gateway/vcsp-server.js';
import { HttpLibrarySource } from '../../subscriber/reader.js';
import { verifyLibrary } from '../../subscriber/verify.js';
import type { VerifyReport } from '../../subscriber/verify.js';
import { ClaasError } from '../../errors.js';
import { addListenFlag, listenFrom } from '../flags.js';
import type { ListenFlags } from '../flags.js';
import type { CliIo } from '../io.js';
import { formatListen } from '../options.js';
import type { Deprecated, Verb } from '../verb.js';

const DEFAULT_DEMO_LISTEN = '127.0.0.1:8080';

export interface DemoOptions {
  dir: string;
  listen: { host: string; port: number };
  serve: boolean;
}

interface DemoFlags extends ListenFlags {
  dir: string;
  serve: boolean;
}

export function define(cmd: Command): void {
  cmd.option('--dir <folder>', 'where the sample source, library and password go', 'claas-demo');
  addListenFlag(
    cmd,
    'address and port to serve on (0.0.0.0:8080 lets a vCenter on your network reach it)',
    DEFAULT_DEMO_LISTEN,
  ).option('--no-serve', 'publish and verify, then exit instead of serving');
}

export function parse(_args: [], flags: DemoFlags, deprecated: Deprecated): DemoOptions {
  return {
    dir: resolve(flags.dir),
    listen: listenFrom('demo', flags, DEFAULT_DEMO_LISTEN, deprecated),
    serve: flags.serve,
  };
}

async function demoPassword(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing && existing.trim().length > 0) return existing.trim();
  const pw = randomBytes(18).toString('base64url');
  await writeFile(file, `${pw}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return pw;
}

function printInstructions(
  io: CliIo,
  o: DemoOptions,
  check: VerifyReport,
  url: string,
  passwordFile: string,
): void {
  io.say('');
  io.say(
    `checked as a subscriber: ${check.items} items, ${check.files} files, ${check.checkedHashes} content hashes OK`,
  );
  io.say('');
  io.say('In the vSphere Client: Content Libraries > Create > Subscribed content library, then enter:');
  io.say(`  Subscription URL:  ${url}`);
  io.say('  Authentication:    Enable authentication (Basic), user name "vcsp"');
  io.say(`  Password:          the first line of ${passwordFile}`);
  io.say('  Download content:  immediately (or "when needed")');
  if (o.listen.host === '127.0.0.1') {
    io.say(
      `(listening on 127.0.0.1 only: pass --listen 0.0.0.0:${o.listen.port} so a vCenter on your network can reach it)`,
    );
  }
}

async function publishSample(
  io: CliIo,
  dir: string,
): Promise<{ result: PublishResult; libraryDir: string; store: ObjectStore }> {
  const sourceDir = join(dir, 'source');
  const libraryDir = join(dir, 'library');
  await mkdir(sourceDir, { recursive: true });
  io.note(`writing sample content to ${sourceDir}`);
  await writeSampleSource(sourceDir);
  const store = await openStore({ kind: 'fs', path: libraryDir });
  const input = await readFolderSource(sourceDir, { cacheFile: join(dir, '.hash-cache.json') });
  const result = await publish(input, {
    store,
    name: 'claas-demo',
    description: 'Sample library made by claas demo',
  });
  io.note(`published library "${result.library.name}" version ${result.library.version} to ${libraryDir}`);
  return { result, libraryDir, store };
}

export async function run(o: DemoOptions, io: CliIo): Promise<number> {
  const { result, libraryDir, store } = await publishSample(io, o.dir);
  const passwordFile = join(o.dir, 'password');
  const password = await demoPassword(passwordFile);
  // With --no-serve the check runs on a free port; the URL printed is the one `claas serve` will use.
  const server = await startVcspServer({
    store,
    host: o.listen.host,
    port: o.serve ? o.listen.port : 0,
    password,
  });
  try {
    const check = await verifyLibrary(new HttpLibrarySource(server.url, { password }), { deep: true });
    if (!check.ok) {
      throw new ClaasError(
        'INTERNAL',
        `the demo library failed its own subscriber check: ${check.problems.map((p) => p.message).join('; ')}`,
      );
    }
    const url = o.serve ? server.url : `http://${formatListen(o.listen)}/lib.json`;
    if (io.json) {
      io.printJson({
        ok: true,
        library: result.library,
        libraryPath: libraryDir,
        subscriptionUrl: url,
        authentication: 'BASIC',
        user: 'vcsp',
        passwordFile,
        items: check.items,
        files: check.files,
        verified: { items: check.items, files: check.files, checkedHashes: check.checkedHashes },
      });
    } else printInstructions(io, o, check, url, passwordFile);
    if (!o.serve) {
      io.say('');
      io.say(
        `serve it with: claas serve ${libraryDir} --listen ${formatListen(o.listen)} --password-file ${passwordFile}`,
      );
      return 0;
    }
    io.say('serving; press Ctrl-C to stop');
    await new Promise<void>((resolveStop) => {
      const stop = (): void => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  } finally {
    await server.close();
  }
}

export const verb: Verb<DemoOptions, DemoFlags, []> = {
  name: 'demo',
  description: 'build a sample library, publish it to a local folder and serve it for vCenter to subscribe',
  define,
  parse,
  run,
};
