// Starts the HTTP(S) VCSP endpoint that vCenter subscribes to: the request handler on a Node http or
// https server with keep-alive and timeouts for slow clients. Used by `claas serve` and the gateway.

import { createServer as createHttpServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { ClaasError, badInput } from '../errors.js';
import { createVcspHandler } from './handler.js';
import type { VcspHandler, VcspHandlerOptions } from './handler.js';
import { normalizeBasePath } from './request-path.js';
import { certificateThumbprint } from '../net/tls.js';

export interface VcspServerOptions extends VcspHandlerOptions, ListenOptions {}

/** Where and how a VCSP request handler listens. */
export interface ListenOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  /** Time a client may take to send its request headers (default 60 s). */
  headersTimeoutMs?: number;
  /** Time a socket may sit without any traffic, e.g. a client that stopped reading (default 120 s). */
  idleTimeoutMs?: number;
  /** Largest request head (request line + headers) accepted; larger ones get 431 (default Node's 16 KiB). */
  maxHeaderSize?: number;
  /** Where the library is mounted, for the printed URL: '' (root) or e.g. '/templates'. */
  basePath?: string;
}

export interface VcspServer {
  /** The subscription URL: ends in lib.json. */
  url: string;
  port: number;
  /** SHA-1 certificate thumbprint (AA:BB:...) for vCenter's ssl_thumbprint, when serving HTTPS. */
  thumbprint?: string;
  /** Stops listening and closes every connection, including downloads in progress. */
  close(): Promise<void>;
  /**
   * Stops listening and lets requests in flight finish (idle keep-alive connections are closed at once,
   * busy ones after their response); whatever still runs after graceMs is cut. Resolves when all are closed.
   */
  drain(graceMs: number): Promise<void>;
  /** Replaces the TLS certificate and key for new connections (HTTPS only); returns the new thumbprint. */
  setTls?(tls: { cert: Buffer; key: Buffer }): string;
}

const KEEP_ALIVE_MS = 65_000;

export async function startVcspServer(o: VcspServerOptions): Promise<VcspServer> {
  return listenVcsp(createVcspHandler(o), o);
}

const badTls = () =>
  // The message of a TLS setup error can quote key material: do not pass it on.
  badInput(
    'The TLS certificate and key cannot be used together',
    '(TLS certificate and key)',
    'Give the PEM certificate and the unencrypted PEM private key that belongs to it.',
  );

/** Serves any request handler (claas serve's, the multi-library gateway's) with the VCSP server settings. */
export async function listenVcsp(handler: VcspHandler, o: ListenOptions): Promise<VcspServer> {
  let server: Server;
  let thumbprint: string | undefined;
  const headersTimeout = o.headersTimeoutMs ?? 60_000;
  const common = {
    ...(o.maxHeaderSize === undefined ? {} : { maxHeaderSize: o.maxHeaderSize }),
    // How often Node checks the headers and request timeouts (its default, 30 s, would let a slow
    // client keep a connection up to 30 s past the timeout).
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))),
    // Up to 256 KiB may wait in a response before the store stream is paused (Node's default is 16 KiB,
    // a quarter of one read from the store): several reads leave in one write, at a bounded cost per
    // connection.
    highWaterMark: 256 * 1024,
  };
  if (o.tls !== undefined) {
    thumbprint = certificateThumbprint(o.tls.cert);
    try {
      server = createHttpsServer({ ...common, cert: o.tls.cert, key: o.tls.key }, handler);
    } catch {
      throw badTls();
    }
  } else {
    server = createHttpServer(common, handler);
  }
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
  let draining = false;
  // While draining, each connection is closed as soon as its response is done.
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) res.shouldKeepAlive = false;
    res.once('finish', () => {
      if (draining) server.closeIdleConnections();
    });
  });
  const result: VcspServer = {
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
    drain(graceMs) {
      closing ??= new Promise<void>((resolve) => {
        draining = true;
        const timer = setTimeout(() => server.closeAllConnections(), Math.max(0, graceMs));
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
  if (o.tls !== undefined && 'setSecureContext' in server) {
    const https = server as HttpsServer;
    result.setTls = (tls) => {
      const next = certificateThumbprint(tls.cert);
      try {
        https.setSecureContext({ cert: tls.cert, key: tls.key });
      } catch {
        throw badTls();
      }
      result.thumbprint = next;
      return next;
    };
  }
  return result;
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
