// The one HTTPS agent for servers claas must trust before it sends them anything (a publisher's VCSP
// endpoint, a vCenter): the decision about the server's certificate is made right after the TLS handshake
// and before the request (and any password or session id in it) is written on the connection. Either the
// certificate's SHA-1 thumbprint equals the pinned one (no CA check, as vCenter pins), or its chain and
// host name verify against the chosen CAs (see trust-store.ts; default: Node's bundled roots).

import { Agent as HttpsAgent } from 'node:https';
import type { ClientRequestArgs } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions, SecureContext, TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { ClaasError } from '../errors.js';
import { normalizeThumbprint } from './tls.js';

/** The server a connection goes to, for error messages. */
export interface TlsPeer {
  host: string;
  port: number;
  /** https://host:port (an IPv6 host in brackets). */
  origin: string;
}

export interface TrustAgentOptions {
  /** Accept exactly the certificate with this SHA-1 thumbprint (any spelling), without a CA check. */
  thumbprint?: string;
  /** When not pinned: the CAs to verify the chain against (default: Node's bundled root certificates). */
  secureContext?: SecureContext;
  /** The error for a certificate that is not the pinned one (default: pinMismatch below). */
  pinMismatch?: (peer: TlsPeer, seen: string, pin: string) => Error;
  /** The error for a certificate the CAs do not vouch for (default: untrustedByNode below). */
  untrusted?: (peer: TlsPeer, seen: string, reason: string) => Error;
}

/** The default refusal of a certificate that does not match the pin: names the thumbprint it has. */
export function pinMismatch(peer: TlsPeer, seen: string, pin: string): ClaasError {
  return new ClaasError(
    'AUTH',
    `The server's certificate has thumbprint ${seen || '(none)'}, not the pinned ${pin}`,
    {
      input: `${peer.host}:${peer.port}`,
      hint: 'Someone may be intercepting the connection, or the server has a new certificate: check it, then pin the new thumbprint.',
    },
  );
}

/**
 * The default refusal of a certificate that does not verify: an error with the code Node's own agent
 * would give (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, ...), for callers that map those.
 */
export function untrustedByNode(peer: TlsPeer, _seen: string, reason: string): Error {
  return Object.assign(new Error(`The certificate of ${peer.origin} is not trusted: ${reason}`), {
    code: reason,
  });
}

export class TrustAgent extends HttpsAgent {
  private readonly pin: string | undefined;
  private readonly context: SecureContext | undefined;
  private readonly onPinMismatch: NonNullable<TrustAgentOptions['pinMismatch']>;
  private readonly onUntrusted: NonNullable<TrustAgentOptions['untrusted']>;

  constructor(o: TrustAgentOptions = {}) {
    super({ keepAlive: true, rejectUnauthorized: false });
    this.pin = o.thumbprint === undefined ? undefined : normalizeThumbprint(o.thumbprint);
    this.context = o.secureContext;
    this.onPinMismatch = o.pinMismatch ?? pinMismatch;
    this.onUntrusted = o.untrusted ?? untrustedByNode;
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    // The request's own `path` ("/lib.json") would make tls.connect dial a Unix socket of that name.
    const { path: _path, socketPath: _socketPath, ...rest } = options;
    const host = String(options.host ?? 'localhost');
    const port = Number(options.port ?? 443);
    const peer: TlsPeer = {
      host,
      port,
      origin: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    };
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
    socket.once('secureConnect', () => finish(this.refusal(socket, peer)));
    return undefined;
  }

  /** Why the connected socket's certificate is refused, or null when it is trusted. */
  private refusal(socket: TLSSocket, peer: TlsPeer): Error | null {
    const fingerprint = socket.getPeerCertificate().fingerprint;
    const seen = typeof fingerprint === 'string' ? fingerprint.toUpperCase() : '';
    if (this.pin !== undefined) return seen === this.pin ? null : this.onPinMismatch(peer, seen, this.pin);
    if (socket.authorized) return null;
    return this.onUntrusted(peer, seen, String(socket.authorizationError ?? 'unknown issuer'));
  }
}
