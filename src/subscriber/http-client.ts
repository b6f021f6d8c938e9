// The subscriber's HTTP(S) client, behaving like vCenter's: Basic auth as user "vcsp" (sent only to the
// library's own origin), redirects, VCSP v1 "busy" 503 polling, and TLS trusted by a CA or pinned by the
// certificate's SHA-1 thumbprint. Built on node:http/https because fetch cannot take a pinning agent.

import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { ClaasError } from '../errors.js';
import { VCSP_USER } from '../vcsp/basic-auth.js';
import { normalizeThumbprint } from '../net/tls.js';
import { TrustAgent } from '../net/trust-agent.js';
import { caFileContext } from '../net/trust-store.js';
import type { ByteRange } from '../store/types.js';

export interface HttpClientOptions {
  /** Basic auth password for user "vcsp". */
  password?: string;
  /** Pin the server certificate by its SHA-1 thumbprint (any CA check is then skipped, as in vCenter). */
  thumbprint?: string;
  /** PEM file of CA certificates to trust for HTTPS. */
  caFile?: string;
  /** Time without any answer or data before a request fails (default 60 s). */
  timeoutMs?: number;
  /** How many times a busy (503) endpoint is asked again (default 5). */
  busyRetries?: number;
  /** Wait between busy polls when the server gives no Retry-After (default 2 s). */
  busyDelayMs?: number;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD';
  range?: ByteRange;
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 64 * 1024;
const PASSWORD_HINT = 'Give the subscription password (user "vcsp") with --password-file <file>.';
const TLS_HINT =
  'Pin the certificate with --thumbprint <SHA-1> (printed by `claas serve`, or ' +
  '`openssl x509 -noout -fingerprint -sha1`), or trust its CA with --ca-file <pem>.';

/**
 * True when a redirect target may be followed (checked before connecting there, so that a publisher cannot
 * make claas probe other hosts or ports): the library's own origin, or its host name upgraded from
 * http to https (any port). Another host, another port over the same scheme, and a downgrade from https
 * to http are refused.
 */
export function sameHost(library: URL, target: URL): boolean {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
  if (target.origin === library.origin) return true;
  return (
    library.protocol === 'http:' &&
    target.protocol === 'https:' &&
    library.hostname.toLowerCase() === target.hostname.toLowerCase()
  );
}

/** A URL safe to show: no user info, no query (it may hold a signature). */
export function displayUrl(url: URL | string): string {
  const u = new URL(url.toString());
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * Reads a response body of at most limit bytes; a longer body is cut off (the response is destroyed)
 * and undefined is returned.
 */
export async function readBody(res: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A keep-alive HTTP(S) client for one library (one origin for credentials). */
export class HttpClient {
  private readonly password: string | undefined;
  private readonly timeoutMs: number;
  private readonly busyRetries: number;
  private readonly busyDelayMs: number;
  private readonly caFile: string | undefined;
  private readonly pin: string | undefined;
  private httpAgent: HttpAgent | undefined;
  private httpsAgent: Promise<TrustAgent> | undefined;

  /** origin: the only origin the password is ever sent to. */
  constructor(
    private readonly origin: string,
    o: HttpClientOptions = {},
  ) {
    this.password = o.password;
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.busyRetries = o.busyRetries ?? 5;
    this.busyDelayMs = o.busyDelayMs ?? 2_000;
    this.caFile = o.caFile;
    this.pin = o.thumbprint === undefined ? undefined : normalizeThumbprint(o.thumbprint);
  }

  /**
   * Sends a request, following redirects and waiting out a busy endpoint. Returns the final response
   * whatever its status (callers map statuses with httpError); throws for network and TLS failures.
   */
  async request(url: URL, r: HttpRequest): Promise<{ res: IncomingMessage; url: URL }> {
    let current = url;
    let busy = 0;
    for (let redirects = 0; ;) {
      const res = await this.once(current, r);
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location !== undefined) {
        res.resume();
        if (++redirects > MAX_REDIRECTS) {
          throw new ClaasError('PROTOCOL', `More than ${MAX_REDIRECTS} redirects from ${displayUrl(url)}`, {
            input: displayUrl(url),
            hint: 'The server redirects in a loop; check the URL.',
          });
        }
        current = this.redirectTarget(url, current, res.headers.location);
        continue;
      }
      if (status === 503 && busy < this.busyRetries) {
        const wait = await this.busyWait(res, current);
        busy++;
        await delay(wait, undefined, r.signal === undefined ? {} : { signal: r.signal });
        continue;
      }
      return { res, url: current };
    }
  }

  /** Where a redirect leads, refused (before any connection there) when it leaves the library's host. */
  private redirectTarget(asked: URL, from: URL, location: string): URL {
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      throw new ClaasError('PROTOCOL', `${displayUrl(from)} redirects to an invalid URL`, {
        input: displayUrl(from),
      });
    }
    if (to.protocol !== 'http:' && to.protocol !== 'https:') {
      throw new ClaasError('PROTOCOL', `${displayUrl(from)} redirects to a ${to.protocol} URL`, {
        input: displayUrl(from),
        hint: 'Only http and https redirects are followed.',
      });
    }
    const library = new URL(this.origin);
    if (!sameHost(library, to)) {
      throw new ClaasError(
        'PROTOCOL',
        `${displayUrl(asked)} redirected to ${displayUrl(to)}, another host than the library's (${library.host}); not followed`,
        {
          input: displayUrl(asked),
          hint:
            "claas follows redirects only within the library's own host (or from http up to https on it), " +
            'and asks nothing of another host. Ask the publisher to serve the whole library from its URL.',
        },
      );
    }
    return to;
  }

  /** For a VCSP busy answer, how long to wait; throws when the endpoint reports a failure instead. */
  private async busyWait(res: IncomingMessage, url: URL): Promise<number> {
    const text = (await readBody(res, MAX_ERROR_BODY))?.toString('utf8') ?? '';
    let message = '';
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // Not a VCSP busy document: an ordinary "service unavailable", asked again like one.
    }
    if (message.trim() !== '') {
      throw new ClaasError('PROTOCOL', `${displayUrl(url)} reports a failure: ${message.slice(0, 500)}`, {
        input: displayUrl(url),
        hint: 'The publisher could not prepare the content; ask its owner.',
      });
    }
    const retryAfter = Number(res.headers['retry-after']);
    return Number.isFinite(retryAfter) && retryAfter >= 0
      ? Math.min(retryAfter * 1000, 60_000)
      : this.busyDelayMs;
  }

  private async once(url: URL, r: HttpRequest): Promise<IncomingMessage> {
    const headers: Record<string, string> = { 'User-Agent': 'claas-subscriber', Accept: '*/*' };
    if (this.password !== undefined && url.origin === this.origin) {
      headers.Authorization = `Basic ${Buffer.from(`${VCSP_USER}:${this.password}`).toString('base64')}`;
    }
    if (r.range !== undefined) headers.Range = `bytes=${r.range.start}-${r.range.end ?? ''}`;
    const https = url.protocol === 'https:';
    const agent = https ? await this.tlsAgent() : (this.httpAgent ??= new HttpAgent({ keepAlive: true }));
    const shown = displayUrl(url);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const send = https ? httpsRequest : httpRequest;
      const req = send(
        url,
        { method: r.method, headers, agent, ...(r.signal === undefined ? {} : { signal: r.signal }) },
        resolve,
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(
          new ClaasError(
            'UNREACHABLE',
            `No answer from ${shown} within ${Math.round(this.timeoutMs / 1000)} s`,
            {
              input: shown,
              hint: 'Check that the server is up and reachable from here.',
            },
          ),
        );
      });
      req.once('error', (e) => reject(networkError(e, shown)));
      req.end();
    });
  }

  /** One agent for all HTTPS requests: pinned by thumbprint, or verified against the CA file or Node's roots. */
  private tlsAgent(): Promise<TrustAgent> {
    this.httpsAgent ??= (async () => {
      if (this.pin !== undefined) return new TrustAgent({ thumbprint: this.pin });
      if (this.caFile === undefined) return new TrustAgent();
      return new TrustAgent({ secureContext: await caFileContext(this.caFile) });
    })();
    return this.httpsAgent;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.httpAgent?.destroy();
    void this.httpsAgent?.then((a) => a.destroy()).catch(() => undefined);
  }
}

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/** Maps a transport failure to a ClaasError naming the URL (never the password). */
function networkError(e: unknown, shown: string): unknown {
  if (e instanceof ClaasError || (e as Error | undefined)?.name === 'AbortError') return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (TLS_TRUST_CODES.has(code)) {
    return new ClaasError('AUTH', `The certificate of ${shown} is not trusted (${code})`, {
      input: shown,
      hint: TLS_HINT,
      cause: e,
    });
  }
  return new ClaasError('UNREACHABLE', `Cannot reach ${shown}: ${code || (e as Error).message}`, {
    input: shown,
    hint: 'Check the URL, that the server is running, and firewalls or proxies in between.',
    cause: e,
  });
}

/** The ClaasError for a non-success HTTP status (the body is drained). */
export function httpError(res: IncomingMessage, url: URL): ClaasError {
  res.resume();
  const status = res.statusCode ?? 0;
  const shown = displayUrl(url);
  if (status === 401 || status === 403) {
    return new ClaasError('AUTH', `${shown} refused access (HTTP ${status})`, {
      input: shown,
      hint:
        status === 401 ? PASSWORD_HINT : `${PASSWORD_HINT} The server refuses this password or this client.`,
    });
  }
  if (status === 404 || status === 410) {
    return new ClaasError('NOT_FOUND', `${shown} does not exist (HTTP ${status})`, {
      input: shown,
      hint: 'Check the URL: a subscription URL ends in lib.json.',
    });
  }
  if (status === 503 || status === 502 || status === 504) {
    return new ClaasError('UNREACHABLE', `${shown} is unavailable (HTTP ${status})`, {
      input: shown,
      hint: 'The server or a proxy in front of it is down or busy; try again later.',
    });
  }
  return new ClaasError('PROTOCOL', `${shown} answered HTTP ${status}`, {
    input: shown,
    hint: 'The server does not behave like a VCSP endpoint for this URL.',
  });
}
