// HTTPS to one vCenter, with the server's certificate checked before a single byte of a request (and
// so before any password or session id) is sent: against the system's CAs (default), a CA file, or a
// pinned SHA-1 thumbprint. An untrusted certificate is refused with an error that prints its thumbprint,
// so the user can check it and pin it; it is never trusted silently.

import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ClientRequestArgs, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { readFile } from 'node:fs/promises';
import { connect as tlsConnect, createSecureContext, rootCertificates } from 'node:tls';
import type { ConnectionOptions, SecureContext, TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClaasError } from '../errors.js';
import { normalizeThumbprint } from '../net/tls.js';

export interface TrustOptions {
  /** Accept exactly the certificate with this SHA-1 thumbprint (no CA check, as vCenter pins). */
  thumbprint?: string;
  /** Trust the CA certificates in this PEM file instead of the system's. */
  caFile?: string;
}

export interface TransportOptions extends TrustOptions {
  /** Time without any answer or data before a request fails (default 120 s). */
  timeoutMs?: number;
}

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: OutgoingHttpHeaders;
  /** A whole body, or a stream of exactly headers['Content-Length'] bytes. */
  body?: Buffer | Readable;
}

export interface BufferedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const SYSTEM_CA_FILES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine
  '/etc/pki/tls/certs/ca-bundle.crt', // RHEL, Fedora
  '/etc/ssl/cert.pem', // macOS, BSDs
];

let systemContext: Promise<SecureContext> | undefined;

/**
 * The system's trust store: Node's bundled roots, the OS bundle (where local and corporate CAs are
 * installed) and NODE_EXTRA_CA_CERTS. Built once per process.
 */
function systemSecureContext(): Promise<SecureContext> {
  systemContext ??= (async () => {
    const ca: string[] = [...rootCertificates];
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    for (const file of [...(extra ? [extra] : []), ...SYSTEM_CA_FILES]) {
      try {
        ca.push(await readFile(file, 'utf8'));
        if (file !== extra) break; // one OS bundle is enough
      } catch {
        // Not on this system.
      }
    }
    return createSecureContext({ ca });
  })();
  return systemContext;
}

async function caFileContext(caFile: string): Promise<SecureContext> {
  let pem: Buffer;
  try {
    pem = await readFile(caFile);
  } catch (e) {
    throw new ClaasError('NOT_FOUND', `Cannot read the CA file ${caFile}`, {
      input: caFile,
      hint: 'Give a readable PEM file of CA certificates with --ca-file.',
      cause: e,
    });
  }
  try {
    return createSecureContext({ ca: pem });
  } catch (e) {
    throw new ClaasError('BAD_INPUT', `${caFile} holds no usable PEM certificate`, {
      input: caFile,
      hint: 'Give a PEM file that starts with "-----BEGIN CERTIFICATE-----".',
      cause: e,
    });
  }
}

/** The message and hint for a certificate claas does not trust; both print its thumbprint. */
export function untrustedCertificate(origin: string, seen: string, reason: string): ClaasError {
  const tp = seen || '(none)';
  return new ClaasError(
    'AUTH',
    `The TLS certificate of ${origin} is not trusted (${reason}); its SHA-1 thumbprint is ${tp}`,
    {
      input: origin,
      hint:
        `Check that this is your vCenter's certificate (e.g. \`openssl s_client -connect <host>:443 | ` +
        `openssl x509 -noout -fingerprint -sha1\` on a trusted network), then pass --thumbprint ${tp}, ` +
        'or trust its CA with --ca-file <pem>.',
    },
  );
}

/**
 * An https agent that decides about the server's certificate itself, right after the handshake and
 * before the request is written: the pinned thumbprint must match, or else the chain and host name
 * must verify against the chosen CAs.
 */
class TrustingAgent extends HttpsAgent {
  constructor(
    private readonly pin: string | undefined,
    private readonly context: SecureContext | undefined,
  ) {
    super({ keepAlive: true, rejectUnauthorized: false });
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    // The request's own `path` would make tls.connect dial a Unix socket of that name.
    const { path: _path, socketPath: _socketPath, ...rest } = options;
    const host = String(options.host ?? 'localhost');
    const origin = `https://${host.includes(':') ? `[${host}]` : host}:${String(options.port ?? 443)}`;
    const connect: ConnectionOptions = {
      ...(rest as ConnectionOptions),
      rejectUnauthorized: false,
      ...(this.context === undefined ? {} : { secureContext: this.context }),
      ...(isIP(host) === 0 ? { servername: host } : {}),
    };
    const socket: TLSSocket = tlsConnect(connect);
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      socket.off('error', finish);
      if (err !== null) socket.destroy();
      callback?.(err, socket);
    };
    socket.once('error', finish);
    socket.once('secureConnect', () => {
      const fingerprint = socket.getPeerCertificate().fingerprint;
      const seen = typeof fingerprint === 'string' ? fingerprint.toUpperCase() : '';
      if (this.pin !== undefined) {
        if (seen === this.pin) return finish(null);
        return finish(
          new ClaasError(
            'AUTH',
            `The TLS certificate of ${origin} has thumbprint ${seen}, not the pinned ${this.pin}`,
            {
              input: origin,
              hint:
                'Someone may be intercepting the connection, or the vCenter has a new certificate: check it, ' +
                `then pass --thumbprint ${seen} if it is genuine.`,
            },
          ),
        );
      }
      if (socket.authorized) return finish(null);
      finish(untrustedCertificate(origin, seen, String(socket.authorizationError ?? 'unknown issuer')));
    });
    return undefined;
  }
}

const NETWORK_HINT =
  'Check the server name and port, that vCenter is running, and firewalls or proxies in between.';

/** HTTPS requests to a vCenter (and its transfer endpoints) with one trust decision for all of them. */
export class Transport {
  private constructor(
    private readonly agent: TrustingAgent,
    private readonly timeoutMs: number,
  ) {}

  static async create(o: TransportOptions = {}): Promise<Transport> {
    const pin = o.thumbprint === undefined ? undefined : normalizeThumbprint(o.thumbprint);
    let context: SecureContext | undefined;
    if (pin === undefined)
      context = o.caFile === undefined ? await systemSecureContext() : await caFileContext(o.caFile);
    return new Transport(new TrustingAgent(pin, context), o.timeoutMs ?? 120_000);
  }

  /** Sends a request; resolves with the response (any status) ready to be read as a stream. */
  request(url: URL, r: TransportRequest): Promise<IncomingMessage> {
    if (url.protocol !== 'https:') {
      return Promise.reject(
        new ClaasError(
          'PROTOCOL',
          `Refusing to send a vCenter request over ${url.protocol} to ${url.origin}`,
          {
            input: url.origin,
            hint: 'vCenter speaks HTTPS only.',
          },
        ),
      );
    }
    const shown = `${url.origin}${url.pathname}`;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(
        url,
        { method: r.method, headers: r.headers ?? {}, agent: this.agent },
        resolve,
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(
          new ClaasError(
            'UNREACHABLE',
            `No answer from ${shown} within ${Math.round(this.timeoutMs / 1000)} s`,
            {
              input: shown,
              hint: NETWORK_HINT,
            },
          ),
        );
      });
      // A failing body (the caller's source) is reported as itself, not as a network failure.
      let bodyError: unknown;
      req.once('error', (e) => reject(bodyError ?? networkError(e, url.origin)));
      if (r.body === undefined) req.end();
      else if (Buffer.isBuffer(r.body)) req.end(r.body);
      else {
        pipeline(r.body, req).catch((e: unknown) => {
          bodyError = e;
          req.destroy(e as Error);
        });
      }
    });
  }

  /** Sends a request and reads the whole answer (at most limit bytes, for JSON). */
  async fetch(url: URL, r: TransportRequest, limit = 64 * 1024 * 1024): Promise<BufferedResponse> {
    const res = await this.request(url, r);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) {
          res.destroy();
          throw new ClaasError(
            'PROTOCOL',
            `The answer of ${url.origin}${url.pathname} exceeds ${limit} bytes`,
            {
              input: url.origin,
            },
          );
        }
        chunks.push(chunk);
      }
    } catch (e) {
      throw networkError(e, url.origin);
    }
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** Maps a connection failure to UNREACHABLE naming the server (never a header or credential). */
export function networkError(e: unknown, origin: string): unknown {
  if (e instanceof ClaasError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const what = code ?? (e as Error | undefined)?.message ?? String(e);
  return new ClaasError('UNREACHABLE', `Cannot reach vCenter ${origin}: ${what}`, {
    input: origin,
    hint: NETWORK_HINT,
    cause: e,
  });
}
