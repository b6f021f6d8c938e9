// Per-tenant activity across gateways (gateway.tenants: store): every period each gateway writes its own
// counters to <controlPrefix>/activity/<gateway id>.json in the origin bucket (config/control-layout.ts) and
// reads the other gateways' objects from the store its tenant view comes from, so /api/tenants and the
// dashboard show each tenant summed over all gateways and per gateway. A gateway's first write continues
// from its own previous object (counts survive restarts; two gateways must not share an id). Objects are
// read with a size bound and parsed strictly: a damaged or foreign one is counted and ignored.

import { z } from 'zod';
import { CONTROL_ACTIVITY_PREFIX, activityKey, gatewayIdOfActivityKey } from '../../config/control-layout.js';
import type { ObjectStore } from '../../store/types.js';
import { readBounded } from '../multi/tenants-store.js';
import { withDeadline } from '../../util/deadline.js';
import type { TenantActivity, TenantActivityRecord } from './tenant-activity.js';

export const ACTIVITY_FORMAT = 'claas.tenant-activity/1';
/** The largest activity object read, and the most gateways' objects read. */
export const MAX_ACTIVITY_BYTES = 4 * 1024 * 1024;
export const MAX_GATEWAYS = 1000;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const isoTime = z
  .string()
  .max(64)
  .refine((s) => Number.isFinite(Date.parse(s)));

// Arrays, never objects keyed by names: no key of a foreign document can reach an object's prototype.
const ActivitySchema = z.strictObject({
  format: z.literal(ACTIVITY_FORMAT),
  gateway: z.string().max(128),
  startedAt: isoTime,
  writtenAt: isoTime,
  tenants: z
    .array(
      z.strictObject({
        name: z.string().regex(NAME_RE),
        bytes: count,
        requests: count,
        lastSeen: isoTime.nullable(),
        versions: z
          .array(z.strictObject({ library: z.string().regex(NAME_RE), version: count, at: isoTime }))
          .max(1000),
      }),
    )
    .max(100_000),
});

type ActivityDoc = z.infer<typeof ActivitySchema>;

/** One gateway's counters as read from its object (or, for this gateway, from memory). */
export interface GatewayActivity {
  id: string;
  /** ms since the epoch: when it wrote them (now, for this gateway). */
  writtenAt: number;
  self: boolean;
  tenants: Map<string, TenantActivityRecord>;
}

export function activityDocument(
  id: string,
  startedAt: number,
  now: number,
  records: Map<string, TenantActivityRecord>,
): ActivityDoc {
  return {
    format: ACTIVITY_FORMAT,
    gateway: id,
    startedAt: new Date(startedAt).toISOString(),
    writtenAt: new Date(now).toISOString(),
    tenants: [...records].map(([name, r]) => ({
      name,
      bytes: r.bytes,
      requests: r.requests,
      lastSeen: r.lastSeen === 0 ? null : new Date(r.lastSeen).toISOString(),
      versions: Object.entries(r.versions).map(([library, f]) => ({
        library,
        version: f.version,
        at: new Date(f.at).toISOString(),
      })),
    })),
  };
}

/** Parses an activity object; undefined when it is not one (damaged or foreign). */
export function parseActivity(
  text: string,
): { writtenAt: number; tenants: Map<string, TenantActivityRecord> } | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = ActivitySchema.safeParse(data);
  if (!parsed.success) return undefined;
  const tenants = new Map<string, TenantActivityRecord>();
  for (const t of parsed.data.tenants) {
    const versions: TenantActivityRecord['versions'] = Object.create(
      null,
    ) as TenantActivityRecord['versions'];
    for (const v of t.versions) versions[v.library] = { version: v.version, at: Date.parse(v.at) };
    tenants.set(t.name, {
      bytes: t.bytes,
      requests: t.requests,
      lastSeen: t.lastSeen === null ? 0 : Date.parse(t.lastSeen),
      versions,
    });
  }
  return { writtenAt: Date.parse(parsed.data.writtenAt), tenants };
}

async function readActivity(
  store: ObjectStore,
  key: string,
): Promise<ReturnType<typeof parseActivity> | null> {
  const got = await readBounded(store, key, MAX_ACTIVITY_BYTES);
  if (got === undefined) return null;
  if (got.size > MAX_ACTIVITY_BYTES) return undefined;
  return parseActivity(got.bytes.toString('utf8'));
}

export interface ActivityShareOptions {
  /** This gateway's id (config/control-layout.ts gatewayId). */
  id: string;
  activity: TenantActivity;
  /** The origin's control prefix, opened with the gateway's credential: where this gateway writes. */
  writeStore: ObjectStore;
  /** Where the other gateways' objects are read: the store the tenant view comes from. */
  readStore: () => ObjectStore | undefined;
  periodMs: number;
  onProblem?: (what: 'write' | 'read', message: string) => void;
  now?: () => number;
}

export interface ActivityShareStatus {
  id: string;
  lastWrite: string | null;
  lastRead: string | null;
  /** Activity objects skipped as damaged or foreign in the last read. */
  unreadable: number;
  lastError?: { what: 'write' | 'read'; message: string; at: string };
}

export class ActivityShare {
  private baseLoaded = false;
  private others: GatewayActivity[] = [];
  private lastWrite: number | undefined;
  private lastRead: number | undefined;
  private unreadable = 0;
  private lastError: { what: 'write' | 'read'; message: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: ActivityShareOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.o.periodMs);
    this.timer.unref();
  }

  /** Stops the period and writes the counters one last time (best effort). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (this.baseLoaded) await withDeadline(this.write(), 5_000, 'the activity store').catch(() => undefined);
  }

  /** One write and read now (concurrent callers share it); a store that hangs holds up no later tick. */
  tick(): Promise<void> {
    const deadline = Math.min(60_000, Math.max(10_000, this.o.periodMs));
    this.ticking ??= withDeadline(this.tickOnce(), deadline, 'the activity store')
      .catch((e: unknown) => this.problem('write', e))
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private problem(what: 'write' | 'read', e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.lastError = { what, message, at: this.now() };
    this.o.onProblem?.(what, message);
  }

  private async write(): Promise<void> {
    const doc = activityDocument(this.o.id, this.o.activity.startedAt, this.now(), this.o.activity.all());
    await this.o.writeStore.put(
      activityKey(this.o.id),
      { kind: 'bytes', data: Buffer.from(JSON.stringify(doc), 'utf8') },
      { contentType: 'application/json', role: 'metadata' },
    );
    this.lastWrite = this.now();
  }

  private async tickOnce(): Promise<void> {
    try {
      if (!this.baseLoaded) {
        // Continue from this gateway's own object; when it cannot be read, write nothing (it would be lost).
        const own = await readActivity(this.o.writeStore, activityKey(this.o.id));
        if (own) this.o.activity.setBase(own.tenants);
        this.baseLoaded = true;
      }
      await this.write();
      if (this.lastError?.what === 'write') this.lastError = undefined;
    } catch (e) {
      this.problem('write', e);
    }
    const store = this.o.readStore();
    if (store === undefined) return;
    try {
      await this.readOthers(store);
      if (this.lastError?.what === 'read') this.lastError = undefined;
    } catch (e) {
      this.problem('read', e);
    }
  }

  private async readOthers(store: ObjectStore): Promise<void> {
    const others: GatewayActivity[] = [];
    let unreadable = 0;
    let seen = 0;
    for await (const obj of store.list(CONTROL_ACTIVITY_PREFIX)) {
      const id = gatewayIdOfActivityKey(obj.key);
      if (id === undefined || id === this.o.id) continue;
      if (++seen > MAX_GATEWAYS) break;
      const got = await readActivity(store, obj.key);
      if (got === null) continue;
      if (got === undefined) unreadable += 1;
      else others.push({ id, writtenAt: got.writtenAt, self: false, tenants: got.tenants });
    }
    this.others = others;
    this.unreadable = unreadable;
    this.lastRead = this.now();
  }

  /** Every gateway's counters: this one's from memory, the others' as last read. */
  gateways(): GatewayActivity[] {
    const self: GatewayActivity = {
      id: this.o.id,
      writtenAt: this.now(),
      self: true,
      tenants: this.o.activity.all(),
    };
    return [self, ...this.others];
  }

  status(): ActivityShareStatus {
    const iso = (ms: number | undefined): string | null =>
      ms === undefined ? null : new Date(ms).toISOString();
    const e = this.lastError;
    return {
      id: this.o.id,
      lastWrite: iso(this.lastWrite),
      lastRead: iso(this.lastRead),
      unreadable: this.unreadable,
      ...(e === undefined ? {} : { lastError: { what: e.what, message: e.message, at: iso(e.at)! } }),
    };
  }
}
