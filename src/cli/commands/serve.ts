// `claas serve <location>`: serve a library over HTTP(S) as a VCSP endpoint vCenter can subscribe to.

import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { ClaasError } from '../../errors.js';
import { openStore } from '../../store/open.js';
import type { Location } from '../../store/types.js';
import { startVcspServer } from '../../gateway/vcsp-server.js';
import { readLibraryState } from '../../publish/state.js';
import { addListenFlag, addStoreFlags, listenFrom } from '../flags.js';
import type { ListenFlags } from '../flags.js';
import type { CliIo } from '../io.js';
import { locationFrom, readPasswordFile } from '../options.js';
import type { StoreFlags } from '../options.js';
import type { Deprecated, Verb } from '../verb.js';

export const DEFAULT_SERVE_LISTEN = '127.0.0.1:8080';

export interface ServeOptions {
  location: Location;
  /** The location as given (for the hint when it holds no library). */
  locationText: string;
  listen: { host: string; port: number };
  passwordFile?: string;
  tls?: { certFile: string; keyFile: string };
  accessLog: boolean;
}

interface ServeFlags extends StoreFlags, ListenFlags {
  passwordFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  accessLog: boolean;
}

/** TLS certificate and key files: both or neither. */
export function tlsFiles(flags: { tlsCert?: string; tlsKey?: string }): ServeOptions['tls'] {
  if (!flags.tlsCert && !flags.tlsKey) return undefined;
  if (!flags.tlsCert || !flags.tlsKey) {
    throw new ClaasError('BAD_INPUT', '--tls-cert and --tls-key go together', {
      input: flags.tlsCert ?? flags.tlsKey ?? '',
      hint: 'give both PEM files',
    });
  }
  return { certFile: flags.tlsCert, keyFile: flags.tlsKey };
}

export function define(cmd: Command): void {
  cmd.argument('<location>', 'library location: file:<path>, a plain path, or s3://bucket/prefix');
  addListenFlag(cmd, 'address and port to listen on (port 0: a free one)', DEFAULT_SERVE_LISTEN)
    .option('--password-file <file>', 'require HTTP Basic auth (user "vcsp") with the password in this file')
    .option('--tls-cert <pem>', 'serve HTTPS with this certificate')
    .option('--tls-key <pem>', 'private key for --tls-cert')
    .option('--no-access-log', 'do not print a line per request');
  addStoreFlags(cmd);
}

export function parse([location]: [string], flags: ServeFlags, deprecated: Deprecated): ServeOptions {
  const tls = tlsFiles(flags);
  return {
    location: locationFrom(location, flags),
    locationText: location,
    listen: listenFrom('serve', flags, DEFAULT_SERVE_LISTEN, deprecated),
    ...(flags.passwordFile === undefined ? {} : { passwordFile: flags.passwordFile }),
    ...(tls === undefined ? {} : { tls }),
    accessLog: flags.accessLog,
  };
}

async function readPem(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new ClaasError('BAD_INPUT', `cannot read the file given to ${flag}`, {
      input: path,
      hint: 'check the path and permissions',
    });
  }
}

/** Resolves on SIGINT or SIGTERM. */
function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function run(o: ServeOptions, io: CliIo): Promise<number> {
  const store = await openStore(o.location);
  const state = await readLibraryState(store);
  if (state.kind === 'empty') {
    throw new ClaasError('NOT_FOUND', `${store.display} holds no library yet`, {
      input: store.display,
      hint: 'publish one first: claas publish <folder> --to ' + o.locationText,
    });
  }
  const password =
    o.passwordFile === undefined
      ? undefined
      : await readPasswordFile(o.passwordFile, '--password-file', io.warn);
  const tls =
    o.tls === undefined
      ? undefined
      : { cert: await readPem(o.tls.certFile, '--tls-cert'), key: await readPem(o.tls.keyFile, '--tls-key') };
  const server = await startVcspServer({
    store,
    host: o.listen.host,
    port: o.listen.port,
    ...(password === undefined ? {} : { password }),
    ...(tls === undefined ? {} : { tls }),
    onRequest: (e) => {
      if (o.accessLog && !io.json)
        io.note(`${e.remote} ${e.method} ${e.path} ${e.status} ${e.bytes}B ${e.ms}ms`);
    },
  });
  if (io.json) {
    io.printJson({
      ok: true,
      url: server.url,
      port: server.port,
      authentication: password ? 'BASIC' : 'NONE',
      user: password ? 'vcsp' : undefined,
      thumbprint: server.thumbprint,
    });
  } else {
    io.say(`serving ${store.display}`);
    io.say(`subscription URL: ${server.url}`);
    if (password) io.say('authentication:   Basic, user "vcsp", password from ' + o.passwordFile);
    if (server.thumbprint) io.say(`SSL thumbprint:   ${server.thumbprint}`);
    io.say('press Ctrl-C to stop');
  }
  await untilStopped();
  await server.close();
  return 0;
}

export const verb: Verb<ServeOptions, ServeFlags, [string]> = {
  name: 'serve',
  description: 'serve a library over HTTP(S) so vCenter can subscribe to it',
  define,
  parse,
  run,
  output: { json: 'print the endpoint details as JSON on stdout' },
};
