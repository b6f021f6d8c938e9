// `claas serve <location>`: serve a library over HTTP(S) as a VCSP endpoint vCenter can subscribe to.

import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { ClaasError } from '../../errors.js';
import { openStore } from '../../store/open.js';
import { startVcspServer } from '../../gateway/vcsp-server.js';
import { readLibraryState } from '../../publish/state.js';
import { locationFrom, parsePositiveInt, readPasswordFile } from '../options.js';
import type { StoreFlags } from '../options.js';
import { note, printJson, say } from '../output.js';
import { runCommand } from '../run.js';
import { addStoreFlags } from './publish.js';

interface ServeFlags extends StoreFlags {
  port: string;
  host: string;
  passwordFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  json?: boolean;
  quiet?: boolean;
  accessLog?: boolean;
}

async function readTls(flags: ServeFlags): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!flags.tlsCert && !flags.tlsKey) return undefined;
  if (!flags.tlsCert || !flags.tlsKey) {
    throw new ClaasError('BAD_INPUT', '--tls-cert and --tls-key go together', {
      input: flags.tlsCert ?? flags.tlsKey ?? '',
      hint: 'give both PEM files',
    });
  }
  const read = async (path: string, flag: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch {
      throw new ClaasError('BAD_INPUT', `cannot read the file given to ${flag}`, {
        input: path,
        hint: 'check the path and permissions',
      });
    }
  };
  return { cert: await read(flags.tlsCert, '--tls-cert'), key: await read(flags.tlsKey, '--tls-key') };
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve a library over HTTP(S) so vCenter can subscribe to it')
    .argument('<location>', 'library location: file:<path>, a plain path, or s3://bucket/prefix')
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--password-file <file>', 'require HTTP Basic auth (user "vcsp") with the password in this file')
    .option('--tls-cert <pem>', 'serve HTTPS with this certificate')
    .option('--tls-key <pem>', 'private key for --tls-cert')
    .option('--no-access-log', 'do not print a line per request')
    .option('--json', 'print the endpoint details as JSON on stdout')
    .option('-q, --quiet', 'print nothing but errors');
  addStoreFlags(cmd);
  cmd.action(async (location: string, flags: ServeFlags) => {
    await runCommand(flags, async (mode) => {
      const store = await openStore(locationFrom(location, flags));
      const state = await readLibraryState(store);
      if (state.kind === 'empty') {
        throw new ClaasError('NOT_FOUND', `${store.display} holds no library yet`, {
          input: store.display,
          hint: 'publish one first: claas publish <folder> --to ' + location,
        });
      }
      const password = flags.passwordFile ? await readPasswordFile(flags.passwordFile) : undefined;
      const tls = await readTls(flags);
      const server = await startVcspServer({
        store,
        host: flags.host,
        port: Number(flags.port) === 0 ? 0 : parsePositiveInt(flags.port, '--port'),
        ...(password === undefined ? {} : { password }),
        ...(tls === undefined ? {} : { tls }),
        onRequest: (e) => {
          if (flags.accessLog !== false && !mode.json)
            note(mode, `${e.remote} ${e.method} ${e.path} ${e.status} ${e.bytes}B ${e.ms}ms`);
        },
      });
      if (mode.json) {
        printJson({
          ok: true,
          url: server.url,
          port: server.port,
          authentication: password ? 'BASIC' : 'NONE',
          user: password ? 'vcsp' : undefined,
          thumbprint: server.thumbprint,
        });
      } else {
        say(mode, `serving ${store.display}`);
        say(mode, `subscription URL: ${server.url}`);
        if (password) say(mode, 'authentication:   Basic, user "vcsp", password from ' + flags.passwordFile);
        if (server.thumbprint) say(mode, `SSL thumbprint:   ${server.thumbprint}`);
        say(mode, 'press Ctrl-C to stop');
      }
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      return 0;
    });
  });
}
