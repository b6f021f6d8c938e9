// A tiny in-process vCenter for unit tests: an HTTPS server on 127.0.0.1 (self-signed certificate made
// by openssl) that answers a scripted sequence of requests and checks each one's method, path, query,
// headers and body against what the vSphere Automation API reference prescribes. Mismatches are
// collected and reported by done(), with the request that caused them.

import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateThumbprint, generateSelfSigned } from '../../../src/net/tls.js';
import { connectVcenter } from '../../../src/vcenter/index.js';
import type { VcenterApi, VcenterConnectOptions } from '../../../src/vcenter/index.js';

export const SESSION_ID = 'b00db39f948d13ea1e59b4d6fce56389';
export const USER = 'administrator@vsphere.local';
export const PASSWORD = 'Secr3t!pass';

export interface Expect {
  method: string;
  /** The exact path, percent-encoded as sent. */
  path: string;
  /** Every query parameter, exactly (none when absent). */
  query?: Record<string, string | string[]>;
  /** The JSON body (deep-equal), or raw bytes; no body when absent. */
  body?: unknown;
  raw?: Buffer;
  /** Headers that must be present with these values (names in lower case). */
  headers?: Record<string, string>;
  /** Whether the session header must be sent (default true). */
  session?: boolean;
  reply?: { status?: number; json?: unknown; raw?: Buffer | string };
}

interface Seen {
  method: string;
  url: string;
}

export class FakeVcenter {
  readonly problems: string[] = [];
  readonly seen: Seen[] = [];
  private readonly queue: Expect[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly thumbprint: string,
    readonly certFile: string,
    private readonly dir: string,
  ) {}

  static async start(): Promise<FakeVcenter> {
    const { cert, key } = await generateSelfSigned('127.0.0.1');
    const dir = await mkdtemp(join(tmpdir(), 'claas-fake-vc-'));
    const certFile = join(dir, 'cert.pem');
    await writeFile(certFile, cert);
    const handlers: { handle?: (req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
    const server = createServer({ cert, key }, (req, res) => void handlers.handle?.(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeVcenter(
      server,
      `https://127.0.0.1:${port}`,
      certificateThumbprint(cert),
      certFile,
      dir,
    );
    handlers.handle = (req, res) => fake.handle(req, res);
    return fake;
  }

  expect(...e: Expect[]): this {
    this.queue.push(...e);
    return this;
  }

  /** Connection options pinning this server's certificate. */
  options(extra: Partial<VcenterConnectOptions> = {}): VcenterConnectOptions {
    return { server: this.url, user: USER, password: PASSWORD, thumbprint: this.thumbprint, ...extra };
  }

  /** Logs in through /api (the probe succeeds) and returns the /api-flavoured client. */
  async connect(): Promise<VcenterApi> {
    this.expect(loginExpect());
    const api = await connectVcenter(this.options());
    assert.equal(api.flavour, 'api');
    return api;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    this.seen.push({ method: req.method ?? '', url: url.pathname + url.search });
    const e = this.queue.shift();
    const where = `${req.method} ${url.pathname}${url.search}`;
    if (e === undefined) {
      this.problems.push(`unexpected request ${where}`);
      res.writeHead(500).end();
      return;
    }
    try {
      check(e, req, url, body);
    } catch (err) {
      this.problems.push(`${where}: ${(err as Error).message}`);
    }
    const r = e.reply ?? {};
    if (r.raw !== undefined) {
      res.writeHead(r.status ?? 200, { 'Content-Type': 'application/octet-stream' }).end(r.raw);
    } else if (r.json !== undefined) {
      res.writeHead(r.status ?? 200, { 'Content-Type': 'application/json' }).end(JSON.stringify(r.json));
    } else {
      res.writeHead(r.status ?? 204).end();
    }
  }

  /** Asserts every scripted request came, in order, as prescribed, and nothing else did. */
  done(): void {
    assert.deepEqual(this.problems, [], 'requests differed from the API reference');
    assert.deepEqual(
      this.queue.map((e) => `${e.method} ${e.path}`),
      [],
      'scripted requests that never came',
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

function check(e: Expect, req: IncomingMessage, url: URL, body: Buffer): void {
  assert.equal(req.method, e.method, 'method');
  assert.equal(url.pathname, e.path, 'path');
  const query: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
  const want = Object.fromEntries(
    Object.entries(e.query ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
  );
  assert.deepEqual(query, want, 'query');
  if (e.session ?? true) assert.equal(req.headers['vmware-api-session-id'], SESSION_ID, 'session header');
  else assert.equal(req.headers['vmware-api-session-id'], undefined, 'no session header before login');
  for (const [k, v] of Object.entries(e.headers ?? {})) assert.equal(req.headers[k], v, `header ${k}`);
  if (e.raw !== undefined) {
    assert.ok(body.equals(e.raw), `raw body of ${body.length} bytes differs`);
  } else if (e.body !== undefined) {
    assert.equal(req.headers['content-type'], 'application/json', 'content-type');
    assert.deepEqual(JSON.parse(body.toString('utf8')), e.body, 'body');
  } else {
    assert.equal(body.length, 0, 'no body');
  }
}

/** POST /api/session with Basic credentials, answered 201 with the session id as a JSON string. */
export function loginExpect(status = 201): Expect {
  const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  return {
    method: 'POST',
    path: '/api/session',
    session: false,
    headers: { authorization: `Basic ${basic}` },
    reply: status === 201 ? { status, json: SESSION_ID } : { status },
  };
}

/** Runs fn against a fresh fake vCenter and a logged-in /api client; checks the script and logs out. */
export async function withModernApi(
  fn: (api: VcenterApi, fake: FakeVcenter) => Promise<void>,
): Promise<void> {
  const fake = await FakeVcenter.start();
  try {
    const api = await fake.connect();
    await fn(api, fake);
    fake.expect({ method: 'DELETE', path: '/api/session' });
    await api.logout();
    fake.done();
  } finally {
    await fake.close();
  }
}
