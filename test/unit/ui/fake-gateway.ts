// A stand-in for the gateway's admin side in the dashboard's browser tests: serves ui/ at /ui/ with the
// gateway's Content-Security-Policy, and fake /api/ answers shaped as docs/api.md says (items paginated,
// searched and sorted like the real endpoint), all behind Basic auth as user admin. Tests change `data`
// while a page is open to see the dashboard follow.

import type { ItemRow } from '../../../src/gateway/admin/items-page.js';
import { UI_CSP } from '../../../src/gateway/admin/ui-assets.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { REPO_ROOT } from '../../helpers/browser.js';

export const UI_DIR = join(REPO_ROOT, 'ui');

/** The policy the gateway serves the page with. */
export const CSP = UI_CSP;

export const HOSTILE_ITEM = '<img src=x onerror=alert(1)>';
export const HOSTILE_TENANT = '<script>alert("tenant")</script>';
export const HOSTILE_SUMMARY = '<b onmouseover=alert(2)>bold</b> published';

/** An item row as /api/libraries/<library>/items answers it. */
export type Item = ItemRow;

export interface Store {
  name: string;
  role: 'origin' | 'replica';
  mode?: string;
  location: string;
  state: string;
  libVersion: number | null;
  consistentVersion: number | null;
  behind: number;
  lagSeconds: number;
  missing: number;
  wrong: number;
  problems: string[];
  served: boolean;
  reachable: boolean | null;
}

export interface Library {
  name: string;
  servedVersion: number | null;
  servedFrom: string | null;
  committedAtMs: number;
  items: Item[];
  stores: Store[];
}

export interface FakeData {
  libraries: Library[];
  tenants: Record<string, unknown>[];
  audit: Record<string, unknown>[];
  /** When set, every /api/ request answers this status with an error body. */
  failStatus: number | null;
  /** How long /api/replicas takes to answer (the real one may wait up to 10 s). */
  replicasDelayMs: number;
  /** overview.sources, as a gateway inside `claas run` answers it; undefined: a plain gateway. */
  sources?: Record<string, unknown>[];
}

const MINUTE = 60_000;

/** `count` items named item-0001…, sizes all different, changed one minute apart. */
export function makeItems(count: number, now = Date.now()): Item[] {
  const types = ['ovf', 'iso', 'other'] as const;
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    return {
      name: `item-${String(i).padStart(4, '0')}`,
      id: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: types[i % 3]!,
      size: (((i * 7919) % 5000) + 1) * 1_048_576,
      files: 1 + (i % 4),
      version: 1 + (i % 9),
      changed: new Date(now - i * MINUTE).toISOString(),
    };
  });
}

function store(name: string, role: Store['role'], overrides: Partial<Store> = {}): Store {
  return {
    name,
    role,
    ...(role === 'replica' ? { mode: 'native' } : {}),
    location: `s3://${name}-bucket/lib`,
    state: 'consistent',
    libVersion: 42,
    consistentVersion: 42,
    behind: 0,
    lagSeconds: 0,
    missing: 0,
    wrong: 0,
    problems: [],
    served: false,
    reachable: true,
    ...overrides,
  };
}

/** Two libraries: templates (5,000 items, west catching up, east broken) and isos (a hostile item name). */
export function defaultData(now = Date.now()): FakeData {
  const isoItems = makeItems(3, now);
  isoItems.push({ ...isoItems[0]!, name: HOSTILE_ITEM, id: 'urn:uuid:00000000-0000-4000-8000-ffffffffffff' });
  return {
    libraries: [
      {
        name: 'templates',
        servedVersion: 42,
        servedFrom: 'west',
        committedAtMs: now - 25_000,
        items: makeItems(5000, now),
        stores: [
          store('origin', 'origin'),
          store('west', 'replica', {
            state: 'lagging',
            consistentVersion: 41,
            behind: 1,
            lagSeconds: 25,
            missing: 3,
            served: true,
          }),
          store('east', 'replica', {
            state: 'broken',
            consistentVersion: 40,
            behind: 2,
            lagSeconds: 3600,
            wrong: 1,
            problems: [
              'ubuntu-24.04/disk-0.vmdk: size 10 instead of 2147483648',
              'lib.json is older than items',
            ],
            reachable: null,
          }),
        ],
      },
      {
        name: 'isos',
        servedVersion: 7,
        servedFrom: 'origin',
        committedAtMs: now - 3 * 86_400_000,
        items: isoItems,
        stores: [
          store('origin', 'origin', { libVersion: 7, consistentVersion: 7, served: true }),
          store('west', 'replica', { libVersion: 7, consistentVersion: 7 }),
          store('dr', 'replica', {
            state: 'pending',
            libVersion: null,
            consistentVersion: null,
            reachable: null,
          }),
        ],
      },
    ],
    tenants: [
      {
        name: 'acme',
        libraries: ['templates', 'isos'],
        created: '2026-10-01T12:00:00.000Z',
        rotated: '2026-11-01T12:00:00.000Z',
        bytesServed: 123_456_789,
        requests: 5210,
        lastSeen: new Date(now - 2000).toISOString(),
        fetched: [
          { library: 'isos', version: 7, at: new Date(now - 2000).toISOString(), newest: 7, behind: false },
          {
            library: 'templates',
            version: 41,
            at: new Date(now - 9000).toISOString(),
            newest: 42,
            behind: true,
          },
        ],
        behind: true,
        gateways: [
          { id: 'gw-east-8443', bytesServed: 100_000_000, requests: 5000 },
          { id: 'gw-west-8443', bytesServed: 23_456_789, requests: 210 },
        ],
      },
      {
        name: HOSTILE_TENANT,
        libraries: ['isos'],
        created: '2026-10-02T12:00:00.000Z',
        bytesServed: 0,
        requests: 0,
      },
    ],
    audit: [
      {
        at: new Date(now - 25_000).toISOString(),
        library: 'templates',
        action: 'publish',
        actor: 'arn:aws:iam::123456789012:user/ci',
        version: 42,
        summary: 'published version 42: 1 changed',
        items: [{ name: 'item-0001', change: 'changed' }],
      },
      {
        at: new Date(now - 3 * 86_400_000).toISOString(),
        library: 'isos',
        action: 'publish',
        actor: 'alice',
        version: 7,
        summary: HOSTILE_SUMMARY,
        items: [],
      },
    ],
    failStatus: null,
    replicasDelayMs: 0,
    sources: runSources(now),
  };
}

export const HOSTILE_SOURCE = '/srv/<img src=x onerror=alert(3)>';

/** The sources of `claas run`: templates from a folder (fine) and a vCenter (failing, with VM templates); isos standby. */
export function runSources(now = Date.now()): Record<string, unknown>[] {
  const iso = (ago: number): string => new Date(now - ago).toISOString();
  const source = (over: Record<string, unknown>): Record<string, unknown> => ({
    kind: 'folder',
    lastPollAt: iso(5_000),
    lastSuccessAt: iso(5_000),
    lastChangeAt: null,
    lastError: null,
    polls: 120,
    changesApplied: 0,
    itemsPending: 0,
    vmtx: [],
    ...over,
  });
  return [
    {
      library: 'templates',
      role: 'active',
      standbyFor: null,
      originVersion: 42,
      lastSyncAt: iso(25_000),
      lastError: null,
      sources: [
        source({ source: HOSTILE_SOURCE, lastChangeAt: iso(25_000), changesApplied: 3, itemsPending: 2 }),
        source({
          source: 'vc-east.example library Golden Images',
          kind: 'vcenter',
          lastSuccessAt: iso(600_000),
          lastError: { message: 'vc-east.example did not answer', hint: 'check the vCenter', at: iso(5_000) },
          vmtx: ['win-2022-vmtx', 'rhel-9-vmtx'],
        }),
      ],
    },
    {
      library: 'isos',
      role: 'standby',
      standbyFor: 'host-b pid 4242',
      originVersion: 7,
      lastSyncAt: null,
      lastError: null,
      sources: [source({ source: '/srv/isos', lastPollAt: null, lastSuccessAt: null, polls: 0 })],
    },
  ];
}

const SORT_KEYS = ['name', 'type', 'size', 'version', 'changed'] as const;

function compareItems(sort: (typeof SORT_KEYS)[number]): (a: Item, b: Item) => number {
  return (a, b) => {
    const x = a[sort];
    const y = b[sort];
    const c =
      typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : x > y ? 1 : 0;
    return c !== 0 ? c : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
}

/** GET /api/libraries/{library}/items as docs/api.md describes it. */
export function itemsPage(lib: Library, query: URLSearchParams): { status: number; body: unknown } {
  const offset = Number(query.get('offset') ?? 0);
  const limit = Number(query.get('limit') ?? 100);
  const sort = (query.get('sort') ?? 'name') as (typeof SORT_KEYS)[number];
  const order = query.get('order') ?? 'asc';
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 500) {
    return apiError(400, 'BAD_REQUEST', 'offset must be >= 0 and limit 1-500');
  }
  if (!SORT_KEYS.includes(sort) || (order !== 'asc' && order !== 'desc')) {
    return apiError(400, 'BAD_REQUEST', 'bad sort or order');
  }
  if (lib.servedVersion === null) return apiError(503, 'NO_VERSION', `no complete version of ${lib.name}`);
  const q = (query.get('q') ?? '').toLowerCase();
  const matching = lib.items.filter((i) => i.name.toLowerCase().includes(q)).sort(compareItems(sort));
  if (order === 'desc') matching.reverse();
  return {
    status: 200,
    body: {
      library: lib.name,
      version: lib.servedVersion,
      replica: lib.servedFrom,
      total: matching.length,
      offset,
      limit,
      items: matching.slice(offset, offset + limit),
    },
  };
}

function apiError(status: number, code: string, message: string): { status: number; body: unknown } {
  return { status, body: { error: { code, message } } };
}

function overview(data: FakeData, now: number): unknown {
  return {
    generatedAt: new Date(now).toISOString(),
    gateway: { version: '0.1.0', startedAt: new Date(now - 3_600_000).toISOString(), refreshSeconds: 1 },
    libraries: data.libraries.map((l) => ({
      name: l.name,
      url: `https://gw.example.net:8443/${l.name}/lib.json`,
      servedVersion: l.servedVersion,
      servedFrom: l.servedFrom,
      committedAt: new Date(l.committedAtMs).toISOString(),
      items: l.items.length,
      bytes: l.items.reduce((sum, i) => sum + i.size, 0),
    })),
    tenants: data.tenants.length,
    ...(data.sources === undefined ? {} : { sources: data.sources }),
  };
}

function replicas(data: FakeData, now: number): unknown {
  const rank = ['consistent', 'pending', 'empty', 'lagging', 'error', 'broken'];
  return {
    libraries: data.libraries.map((l) => ({
      library: l.name,
      checkedAt: new Date(now - 1000).toISOString(),
      state: l.stores.map((s) => s.state).reduce((a, b) => (rank.indexOf(b) > rank.indexOf(a) ? b : a)),
      origin: {
        version: l.servedVersion,
        committedAt: new Date(l.committedAtMs).toISOString(),
        ageSeconds: Math.round((now - l.committedAtMs) / 1000),
      },
      stores: l.stores,
    })),
  };
}

export interface FakeGateway {
  url: string;
  username: string;
  password: string;
  data: FakeData;
  /** Requests per API path (without query) so far. */
  requests: Map<string, number>;
  /** The most requests to one API path that were in flight at once. */
  maxInFlight: Map<string, number>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export async function startFakeGateway(data: FakeData = defaultData()): Promise<FakeGateway> {
  const password = randomBytes(12).toString('base64url');
  const expected = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const uiFiles = new Set(await readdir(UI_DIR));
  const requests = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();

  async function serveUi(path: string, res: ServerResponse): Promise<void> {
    const name = path === '/ui/' ? 'index.html' : path.slice('/ui/'.length);
    if (!uiFiles.has(name)) return send(res, 404, { error: { code: 'NOT_FOUND', message: 'no such file' } });
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
    res.end(await readFile(join(UI_DIR, name)));
  }

  async function answerApi(path: string, query: URLSearchParams): Promise<{ status: number; body: unknown }> {
    if (data.failStatus !== null)
      return apiError(data.failStatus, 'UNAVAILABLE', 'the fixture is failing on purpose');
    const now = Date.now();
    if (path === '/api/overview') return { status: 200, body: overview(data, now) };
    if (path === '/api/replicas') {
      if (data.replicasDelayMs > 0) await new Promise((r) => setTimeout(r, data.replicasDelayMs));
      return { status: 200, body: replicas(data, Date.now()) };
    }
    if (path === '/api/tenants') {
      return {
        status: 200,
        body: {
          since: new Date(now - 3_600_000).toISOString(),
          // Tenants kept in the store, read from a store that stopped answering: the last view is in force.
          view: {
            ready: true,
            source: 'west',
            tenants: data.tenants.length,
            readAt: new Date(now - 95_000).toISOString(),
            ageSeconds: 95,
            stale: true,
            refreshSeconds: 30,
            lastError: {
              kind: 'unreachable',
              source: 'west',
              message: 'connect ECONNREFUSED',
              at: new Date(now).toISOString(),
            },
          },
          gateways: [
            { id: 'gw-east-8443', self: true, writtenAt: new Date(now).toISOString() },
            { id: 'gw-west-8443', self: false, writtenAt: new Date(now - 10_000).toISOString() },
          ],
          tenants: data.tenants,
        },
      };
    }
    if (path === '/api/audit') return { status: 200, body: { entries: data.audit, unreadable: 1 } };
    const m = /^\/api\/libraries\/([^/]+)\/items$/.exec(path);
    const lib = m ? data.libraries.find((l) => l.name === decodeURIComponent(m[1]!)) : undefined;
    if (lib) return itemsPage(lib, query);
    return apiError(404, 'NOT_FOUND', `nothing at ${path}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="claas admin"', 'Content-Type': 'text/plain' });
      res.end('authentication required');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://fixture');
    if (req.method !== 'GET') return send(res, 405, { error: { code: 'METHOD', message: 'GET only' } });
    if (url.pathname === '/ui') {
      res.writeHead(301, { Location: '/ui/' });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/ui/')) return serveUi(url.pathname, res);
    if (!url.pathname.startsWith('/api/'))
      return send(res, 404, { error: { code: 'NOT_FOUND', message: 'no' } });
    const key = url.pathname.startsWith('/api/libraries/') ? '/api/libraries/*/items' : url.pathname;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, inFlight.get(key)!));
    try {
      const { status, body } = await answerApi(url.pathname, url.searchParams);
      send(res, status, body);
    } finally {
      inFlight.set(key, inFlight.get(key)! - 1);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.destroy(err);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ui/`,
    username: 'admin',
    password,
    data,
    requests,
    maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
