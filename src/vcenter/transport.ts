// HTTPS to one vCenter, with the server's certificate checked before a single byte of a request (and
// so before any password or session id) is sent: against the system's CAs (default), a CA file, or a
// pinned SHA-1 thumbprint. An untrusted certificate is refused with an error that prints its thumbprint,
// so the user can check it and pin it; it is never trusted silently. The decision itself is made by the
// shared agent of net/trust-agent.ts; this file gives it the vCenter's trust store and error messages.

import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClaasError } from '../errors.js';
import { normalizeThumbprint } from '../net/tls.js';
import { TrustAgent } from '../net/trust-agent.js';
import type { TlsPeer } from '../net/trust-agent.js';
import { caFileContext, systemSecureContext } from '../net/trust-store.js';

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

/** The message and hint for a certificate claas does not trust; both print its thumbprint. */
export function untrustedCertificate(peer: TlsPeer, seen: string, reason: string): ClaasError {
  const { origin } = peer;
  const tp = seen || '(none)';
  return new ClaasError(
    'AUTH',
    `The TLS certificate of ${origin} is not trusted (${reason}); its SHA-1 thumbprint is ${tp}`,
    {
      input: origin,
      hint:
        `Check that this is your vCenter's certificate (e.g. \`openssl s_client -connect <host>:443 | ` +
        `openssl x509 -noout -fingerprint -sha1\` on a trusted network), then pass --vcenter-thumbprint ${tp}, ` +
        'or trust its CA with --vcenter-ca-file <pem>.',
    },
  );
}

/** The refusal of a certificate that is not the pinned one; prints the thumbprint it has. */
function pinMismatch(peer: TlsPeer, seen: string, pin: string): ClaasError {
  return new ClaasError(
    'AUTH',
    `The TLS certificate of ${peer.origin} has thumbprint ${seen}, not the pinned ${pin}`,
    {
      input: peer.origin,
      hint:
        'Someone may be intercepting the connection, or the vCenter has a new certificate: check it, ' +
        `then pass --vcenter-thumbprint ${seen} if it is genuine.`,
    },
  );
}

const NETWORK_HINT =
  'Check the server name and port, that vCenter is running, and firewalls or proxies in between.';

/** HTTPS requests to a vCenter (and its transfer endpoints) with one trust decision for all of them. */
export class Transport {
  private constructor(
    private readonly agent: TrustAgent,
    private readonly timeoutMs: number,
  ) {}

  static async create(o: TransportOptions = {}): Promise<Transport> {
    const pin = o.thumbprint === undefined ? undefined : normalizeThumbprint(o.thumbprint);
    const agent =
      pin !== undefined
        ? new TrustAgent({ thumbprint: pin, pinMismatch })
        : new TrustAgent({
            secureContext:
              o.caFile === undefined ? await systemSecureContext() : await caFileContext(o.caFile),
            untrusted: untrustedCertificate,
          });
    return new Transport(agent, o.timeoutMs ?? 120_000);
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
