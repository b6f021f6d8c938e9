// HTTP(S) access to a remote VCSP library for `claas import vcsp`: the subscriber's client (Basic auth as
// "vcsp" to the library's own origin only, pinned thumbprints or a CA file, redirects, VCSP 503 busy
// polling, redirects within the library's host only), plus what an importer must refuse on top: documents
// larger than a limit per kind.

import type { IncomingMessage } from 'node:http';
import { ClaasError } from '../errors.js';
import { HttpClient, displayUrl, httpError, readBody } from '../subscriber/http-client.js';
import type { HttpClientOptions } from '../subscriber/http-client.js';
import { HttpLibrarySource } from '../subscriber/reader.js';

export type VcspHttpOptions = HttpClientOptions;

/** The redirect rule (http-client.ts applies it before connecting). */
export { sameHost } from '../subscriber/http-client.js';

/** A ClaasError with `what` (the document or file) in front of its message, same code and hint. */
function withContext(e: unknown, what: string): unknown {
  if (!(e instanceof ClaasError) || e.message.startsWith(`${what}:`)) return e;
  return new ClaasError(e.code, `${what}: ${e.message}`, {
    ...(e.input === undefined ? {} : { input: e.input }),
    ...(e.hint === undefined ? {} : { hint: e.hint }),
    cause: e,
  });
}

export class VcspHttp {
  readonly libUrl: URL;
  readonly libHref: string;
  /** The lib.json URL for messages: no user info, no query. */
  readonly describe: string;
  /** The subscriber's reader: it checks the URL and resolves hrefs under the VCSP rules. */
  private readonly reader: HttpLibrarySource;
  private readonly client: HttpClient;

  constructor(libJsonUrl: string, o: VcspHttpOptions = {}) {
    this.reader = new HttpLibrarySource(libJsonUrl, o);
    this.libUrl = new URL(libJsonUrl);
    this.libHref = this.reader.libHref;
    this.describe = this.reader.describe;
    this.client = new HttpClient(this.libUrl.origin, o);
  }

  /** The absolute URL of a relative href (it replaces the last segment of the lib.json URL). */
  urlOf(href: string): URL {
    return this.reader.urlOf(href);
  }

  /** GETs an href; `what` names it in errors ("items.json", `item "photon" file "disk.vmdk"`). */
  async get(href: string, what: string): Promise<{ res: IncomingMessage; url: URL }> {
    let got: { res: IncomingMessage; url: URL };
    try {
      got = await this.client.request(this.urlOf(href), { method: 'GET' });
    } catch (e) {
      throw withContext(e, what);
    }
    const status = got.res.statusCode ?? 0;
    if (status < 200 || status > 299) throw withContext(httpError(got.res, got.url), what);
    return got;
  }

  /** A document of at most `limit` bytes as text. */
  async getText(href: string, what: string, limit: number): Promise<string> {
    const { res, url } = await this.get(href, what);
    const tooLarge = () =>
      new ClaasError(
        'PROTOCOL',
        `${what}: ${displayUrl(url)} is larger than ${limit} bytes, more than any real ${what} needs`,
        {
          input: displayUrl(url),
          hint: 'Check that the URL names a content library (its lib.json). Nothing was imported.',
        },
      );
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      res.destroy();
      throw tooLarge();
    }
    let body: Buffer | undefined;
    try {
      body = await readBody(res, limit);
    } catch (e) {
      throw withContext(e, what);
    }
    if (body === undefined) throw tooLarge();
    return body.toString('utf8');
  }

  /** A file's bytes as a stream (its length and digests are checked by the caller). */
  async open(href: string, what: string): Promise<IncomingMessage> {
    return (await this.get(href, what)).res;
  }

  close(): void {
    this.client.close();
    this.reader.close();
  }
}
