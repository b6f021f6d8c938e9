// Starts the HTTP(S) VCSP endpoint that vCenter subscribes to: the request handler on a Node http or
// https server with keep-alive and timeouts for slow clients. Used by `claas serve` and the gateway.

import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { ClaasError, badInput } from '../errors.js';
import { createVcspHandler } from './handler.js';
import type { VcspHandlerOptions } from './handler.js';
import { normalizeBasePath } from './request-path.js';
import { certificateThumbprint } from './tls.js';

export interface VcspServerOptions extends VcspHandlerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  /** Time a client may take to send its request headers (default 60 s). */
  headersTimeoutMs?: number;
  /** Time a socket may sit without any traffic, e.g. a client that stopped reading (default 120 s). */
  idleTimeoutMs?: number;
}

export interface VcspServer {
  /** The subscription URL: ends in lib.json. */
  url: string;
  port: number;
  /** SHA-1 certificate thumbprint (AA:BB:...) for vCenter's ssl_thumbprint, when serving HTTPS. */
  thumbprint?: string;
  /** Stops listening and closes every connection, including downloads in progress. */
  close(): Promise<void>;
}

const KEEP_ALIVE_MS = 65_000;

export async function startVcspServer(o: VcspServerOptions): Promise<VcspServer> {
  const handler = createVcspHandler(o);
  let server: Server;
  let thumbprint: string | undefined;
  if (o.tls !== undefined) {
    thumbprint = certificateThumbprint(o.tls.cert);
    try {
      server = createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handler);
    } catch {
      // The message of a TLS setup error can quote key material: do not pass it on.
      throw badInput(
        'The TLS certificate and key cannot be used together',
        '(TLS certificate and key)',
        'Give the PEM certificate and the unencrypted PEM private key that belongs to it.',
      );
    }
  } else {
    server = createHttpServer(handler);
  }
  const headersTimeout = o.headersTimeoutMs ?? 60_000;
  server.headersTimeout = headersTimeout;
  server.requestTimeout = Math.max(headersTimeout, 120_000);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.setTimeout(o.idleTimeoutMs ?? 120_000);

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenError(e, o.host, o.port));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(o.port, o.host);
  });

  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  const scheme = o.tls === undefined ? 'http' : 'https';
  const url = `${scheme}://${urlHost(o.host)}:${port}${normalizeBasePath(o.basePath)}/lib.json`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    ...(thumbprint === undefined ? {} : { thumbprint }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The host as written in a URL: the machine's name for wildcard addresses, IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return hostname();
  return isIP(host) === 6 ? `[${host}]` : host;
}

function listenError(e: NodeJS.ErrnoException, host: string, port: number): ClaasError {
  const where = `${host}:${port}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return badInput(
        `Port ${port} on ${host} is already in use`,
        where,
        'Choose another port, or stop the other server.',
      );
    case 'EACCES':
      return badInput(
        `Not allowed to listen on ${where}`,
        where,
        'Use a port above 1023, or run with the needed privilege.',
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return badInput(
        `${host} is not an address of this machine`,
        where,
        "Use 0.0.0.0, 127.0.0.1 or one of this machine's addresses.",
      );
    default:
      return new ClaasError('INTERNAL', `Cannot listen on ${where}: ${e.message}`, {
        input: where,
        cause: e,
      });
  }
}
