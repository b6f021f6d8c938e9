// JSON requests to one vCenter with the session header: encodes bodies and queries, decodes answers,
// and turns every failure into a ClaasError naming the server and the operation. The session id lives
// only in a private field and the request header; it never reaches an error, a log or an event.

import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ClaasError } from '../errors.js';
import { statusError } from './http-errors.js';
import { protocolError } from './shape.js';
import type { ShapeContext } from './shape.js';
import type { BufferedResponse, Transport } from './transport.js';

export const SESSION_HEADER = 'vmware-api-session-id';

export type QueryValue = string | string[] | undefined;

export interface ApiCall {
  /** What is being done, for errors: "create library 'templates'". */
  op: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path from the server root, e.g. /api/content/library/abc. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: OutgoingHttpHeaders;
}

export interface ApiAnswer {
  status: number;
  /** The decoded JSON, or undefined for an empty answer. */
  json: unknown;
}

export class JsonClient {
  private sessionId: string | undefined;

  /** server: the vCenter's origin, https://host[:port]. */
  constructor(
    readonly transport: Transport,
    readonly server: string,
  ) {}

  setSession(id: string | undefined): void {
    this.sessionId = id;
  }

  get hasSession(): boolean {
    return this.sessionId !== undefined;
  }

  shape(op: string): ShapeContext {
    return { op, server: this.server };
  }

  url(path: string, query: Record<string, QueryValue> = {}): URL {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
    }
    return url;
  }

  private headers(extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
    return {
      'User-Agent': 'claas',
      Accept: 'application/json',
      ...(this.sessionId === undefined ? {} : { [SESSION_HEADER]: this.sessionId }),
      ...extra,
    };
  }

  /** Sends a JSON call and returns the answer whatever its status (network failures still throw). */
  async callRaw(c: ApiCall): Promise<BufferedResponse> {
    const body = c.body === undefined ? undefined : Buffer.from(JSON.stringify(c.body));
    const headers = this.headers({
      ...(body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': body.length }),
      ...c.headers,
    });
    return this.transport.fetch(this.url(c.path, c.query), {
      method: c.method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
  }

  /** Decodes a 2xx answer's JSON; any other status throws the mapped ClaasError. */
  decode(c: ApiCall, res: BufferedResponse): ApiAnswer {
    if (res.status < 200 || res.status >= 300) {
      throw statusError(this.server, c.path, c.op, res.status, res.body);
    }
    const text = res.body.toString('utf8').trim();
    if (text === '') return { status: res.status, json: undefined };
    try {
      return { status: res.status, json: JSON.parse(text) as unknown };
    } catch {
      throw protocolError(this.shape(c.op), 'an answer that is not JSON');
    }
  }

  /** Sends a JSON call; a non-2xx answer throws the mapped ClaasError. */
  async call(c: ApiCall): Promise<ApiAnswer> {
    return this.decode(c, await this.callRaw(c));
  }

  /** The transfer URL of an upload/download endpoint, pointed at the server claas verified. */
  private transferUrl(op: string, uri: string): URL {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw protocolError(this.shape(op), `a transfer endpoint that is not a URL`);
    }
    const server = new URL(this.server);
    // vCenter names itself by its own host name (PNID) in endpoints; the transfer service is on the same
    // appliance. Sending the session id only to the origin claas connected to and verified keeps it
    // from ever going elsewhere.
    url.protocol = server.protocol;
    url.host = server.host;
    return url;
  }

  /** PUTs bytes to an update session's upload endpoint. */
  async put(op: string, uri: string, body: Buffer | Readable, size: number): Promise<void> {
    const url = this.transferUrl(op, uri);
    const res = await this.transport.fetch(url, {
      method: 'PUT',
      headers: this.headers({ 'Content-Type': 'application/octet-stream', 'Content-Length': size }),
      body,
    });
    if (res.status < 200 || res.status >= 300) {
      throw statusError(this.server, url.pathname, op, res.status, res.body);
    }
  }

  /** GETs a download session's endpoint; the answer streams the file. */
  async get(op: string, uri: string): Promise<IncomingMessage> {
    const url = this.transferUrl(op, uri);
    const res = await this.transport.request(url, {
      method: 'GET',
      headers: this.headers({ Accept: 'application/octet-stream' }),
    });
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (chunks.length < 16) chunks.push(chunk);
      }
      throw statusError(this.server, url.pathname, op, status, Buffer.concat(chunks));
    }
    return res;
  }

  /** Closes idle connections. */
  close(): void {
    this.transport.close();
  }
}

/** A ClaasError for calling something this flavour of the API does not have. */
export function unsupported(server: string, what: string, hint: string): ClaasError {
  return new ClaasError('PROTOCOL', `vCenter ${server} does not offer ${what} through this API`, {
    input: server,
    hint,
  });
}
