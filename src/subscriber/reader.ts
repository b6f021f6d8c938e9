// Where a subscriber reads a library from: a VCSP URL over HTTP(S), exactly as vCenter would, or an
// ObjectStore directly (for `claas verify <location>`). Both resolve hrefs relative to the library root
// under the VCSP href rules, so a hostile href cannot reach outside it.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ClaasError } from '../errors.js';
import { snapshotKey } from '../publish/layout.js';
import type { ByteRange, ObjectStore } from '../store/types.js';
import { hrefToKey, parseSnapshot, resolveItemsHref } from '../vcsp/index.js';
import type { VersionSnapshot } from '../vcsp/index.js';
import { HttpClient, displayUrl, httpError, readBody } from './http-client.js';
import type { HttpClientOptions } from './http-client.js';

/** JSON documents larger than this are refused: no real library index comes near it. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

export interface LibrarySource {
  /** The library's address for messages (no credentials). */
  readonly describe: string;
  /** The href of lib.json itself, relative to the library root. */
  readonly libHref: string;
  /** A small text document (lib.json, items.json, item.json, a manifest). */
  getJson(href: string): Promise<{ text: string }>;
  /** The bytes of a file, or of a byte range of it; throws NOT_FOUND when missing. */
  open(href: string, range?: ByteRange): Promise<Readable>;
  /** The size of a file, or undefined when it does not exist. */
  size(href: string): Promise<number | undefined>;
  /** claas's snapshot of a library version, when the source can see claas internals (stores only). */
  snapshot?(libVersion: string): Promise<VersionSnapshot | undefined>;
  /** Releases connections. */
  close?(): void;
}

function tooLarge(what: string): ClaasError {
  const limit = `${MAX_JSON_BYTES / 1024 / 1024} MiB`;
  return new ClaasError('PROTOCOL', `${what} is larger than ${limit}; a VCSP document is never that large`, {
    input: what,
    hint: 'Check that the URL or location names a content library (its lib.json).',
  });
}

export type HttpLibrarySourceOptions = HttpClientOptions;

/** A library published at a URL ending in lib.json (any VCSP endpoint: claas, vCenter, a web server, S3). */
export class HttpLibrarySource implements LibrarySource {
  readonly describe: string;
  readonly libHref: string;
  private readonly libUrl: URL;
  private readonly client: HttpClient;

  constructor(libJsonUrl: string, o: HttpLibrarySourceOptions = {}) {
    let url: URL;
    try {
      url = new URL(libJsonUrl);
    } catch {
      throw new ClaasError('BAD_INPUT', 'Not a valid URL', {
        input: '(subscription URL)',
        hint: 'Give the full subscription URL, e.g. https://host/lib.json.',
      });
    }
    if (url.username !== '' || url.password !== '') {
      throw new ClaasError('BAD_INPUT', 'The subscription URL contains credentials', {
        input: displayUrl(url),
        hint: 'Remove them from the URL and give the password with --password-file (the user is always "vcsp").',
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ClaasError('BAD_INPUT', `A subscription URL is http or https, not ${url.protocol}`, {
        input: displayUrl(url),
        hint: 'Give the URL of the lib.json, e.g. https://host/lib.json.',
      });
    }
    const last = url.pathname.split('/').pop() ?? '';
    if (last === '') {
      throw new ClaasError('BAD_INPUT', 'The subscription URL ends in "/", not in a file name', {
        input: displayUrl(url),
        hint: 'A subscription URL ends in lib.json.',
      });
    }
    this.libUrl = url;
    this.libHref = last;
    this.describe = displayUrl(url);
    this.client = new HttpClient(url.origin, o);
  }

  /** The absolute URL of an href: it replaces the last segment of the lib.json URL. */
  urlOf(href: string): URL {
    return href === this.libHref ? this.libUrl : new URL(resolveItemsHref(this.libUrl.toString(), href));
  }

  private async get(href: string, range?: ByteRange): Promise<{ res: IncomingMessage; url: URL }> {
    const got = await this.client.request(this.urlOf(href), { method: 'GET', ...(range ? { range } : {}) });
    const status = got.res.statusCode ?? 0;
    if (status < 200 || status > 299) throw httpError(got.res, got.url);
    return got;
  }

  async getJson(href: string): Promise<{ text: string }> {
    const { res, url } = await this.get(href);
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_JSON_BYTES) {
      res.destroy();
      throw tooLarge(displayUrl(url));
    }
    const body = await readBody(res, MAX_JSON_BYTES);
    if (body === undefined) throw tooLarge(displayUrl(url));
    return { text: body.toString('utf8') };
  }

  async open(href: string, range?: ByteRange): Promise<Readable> {
    const { res, url } = await this.get(href, range);
    if (range !== undefined && res.statusCode !== 206 && (range.start !== 0 || range.end !== undefined)) {
      res.destroy();
      throw new ClaasError(
        'PROTOCOL',
        `${displayUrl(url)} ignored a Range request (HTTP ${res.statusCode})`,
        {
          input: displayUrl(url),
          hint: 'vCenter resumes downloads with Range requests; serve the library from a server that supports them.',
        },
      );
    }
    return res;
  }

  async size(href: string): Promise<number | undefined> {
    const url = this.urlOf(href);
    let got = await this.client.request(url, { method: 'HEAD' });
    let status = got.res.statusCode ?? 0;
    got.res.resume();
    if (status === 405 || status === 501) {
      // No HEAD: ask for the first byte and read the total from Content-Range.
      got = await this.client.request(url, { method: 'GET', range: { start: 0, end: 0 } });
      status = got.res.statusCode ?? 0;
      got.res.destroy();
      const total = /\/(\d+)$/.exec(String(got.res.headers['content-range'] ?? ''))?.[1];
      if (status === 206 && total !== undefined) return Number(total);
    }
    if (status === 404 || status === 410) return undefined;
    if (status === 416) return 0; // an empty file has no byte 0
    if (status < 200 || status > 299) throw httpError(got.res, got.url);
    const length = Number(got.res.headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new ClaasError('PROTOCOL', `${displayUrl(got.url)} gave no Content-Length`, {
        input: displayUrl(got.url),
        hint: 'The server must send the size of each file.',
      });
    }
    return length;
  }

  close(): void {
    this.client.close();
  }
}

/** A library read straight from an ObjectStore (a folder or bucket), including claas's snapshots. */
export class StoreLibrarySource implements LibrarySource {
  readonly describe: string;
  readonly libHref = 'lib.json';

  constructor(private readonly store: ObjectStore) {
    this.describe = store.display;
  }

  private keyOf(href: string): string {
    return hrefToKey(href, `${this.describe}: ${href}`);
  }

  async getJson(href: string): Promise<{ text: string }> {
    const key = this.keyOf(href);
    const meta = await this.store.head(key);
    if (meta !== undefined && meta.size > MAX_JSON_BYTES) throw tooLarge(`${this.describe}/${key}`);
    const bytes = meta === undefined ? undefined : await this.store.readBytes(key);
    if (bytes === undefined) {
      const probe = await this.store.probe();
      if (!probe.exists) {
        throw new ClaasError('NOT_FOUND', `${this.describe} does not exist (no such bucket or folder)`, {
          input: this.describe,
          hint: 'check the bucket name, endpoint and region, or publish a library there first',
        });
      }
      throw new ClaasError('NOT_FOUND', `${key} does not exist in ${this.describe}`, {
        input: `${this.describe}/${key}`,
        hint: 'Check the location: it must be the root folder of a library (the one holding lib.json).',
      });
    }
    return { text: bytes.toString('utf8') };
  }

  open(href: string, range?: ByteRange): Promise<Readable> {
    return this.store.read(this.keyOf(href), range);
  }

  async size(href: string): Promise<number | undefined> {
    return (await this.store.head(this.keyOf(href)))?.size;
  }

  async snapshot(libVersion: string): Promise<VersionSnapshot | undefined> {
    if (!/^\d+$/.test(libVersion)) return undefined;
    const key = snapshotKey(libVersion);
    const bytes = await this.store.readBytes(key);
    return bytes === undefined ? undefined : parseSnapshot(bytes.toString('utf8'), `${this.describe}/${key}`);
  }
}
