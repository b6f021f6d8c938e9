// The tenants in the origin bucket (gateway.tenants: store): one claas.tenants/1 document at
// <controlPrefix>/tenants.json (config/control-layout.ts). `claas tenant` reads and writes it with the
// origin's credentials; gateways read it (tenant-view.ts) with their own. Every function here takes a store
// rooted at the control prefix. Changes run under the lock of publish/lock.ts taken on that store (entries
// at <controlPrefix>/.claas/lock/) and re-read the document under it, so two changes from two hosts never
// lose each other's work. A document is read with a size bound and parsed strictly (parseTenants): a
// damaged or foreign object is an error, never a set of tenants.

import { Readable } from 'node:stream';
import { CONTROL_TENANTS_KEY } from '../../config/control-layout.js';
import { ClaasError, badInput, isClaasError } from '../../errors.js';
import { acquireLock } from '../../publish/lock.js';
import type { HeldLock } from '../../publish/lock.js';
import type { ObjectStore, StoredObject } from '../../store/types.js';
import { MAX_TENANTS_BYTES, emptyTenants, parseTenants } from './tenants.js';
import type { TenantsBackend, TenantsFile } from './tenants.js';

/** A tenants document as read from a store, with what identifies that object. */
export interface StoredTenants {
  file: TenantsFile;
  etag?: string;
  mtime: Date;
}

/**
 * HEAD of a key. A credential whose s3:ListBucket is limited to prefixes (the policies `claas access policy`
 * prints) gets 403, not 404, for a missing key from S3 and RGW: a listing of the key itself then tells.
 */
async function headOrAbsent(store: ObjectStore, key: string): Promise<StoredObject | undefined> {
  try {
    return await store.head(key);
  } catch (e) {
    if (!isClaasError(e, 'FORBIDDEN')) throw e;
    for await (const o of store.list(key)) if (o.key === key) throw e;
    return undefined;
  }
}

/**
 * At most `limit` bytes of an object (one byte more tells that it is larger), or undefined when it is
 * missing. Never holds more than limit + 1 bytes, whatever the object's size.
 */
export async function readBounded(
  store: ObjectStore,
  key: string,
  limit: number,
): Promise<{ bytes: Buffer; size: number; etag?: string; mtime: Date } | undefined> {
  const info = await headOrAbsent(store, key);
  if (info === undefined) return undefined;
  if (info.size > limit) return { bytes: Buffer.alloc(0), size: info.size, mtime: info.mtime };
  let stream: Readable;
  try {
    stream = info.size === 0 ? Readable.from([]) : await store.read(key, { start: 0, end: info.size - 1 });
  } catch (e) {
    if (isClaasError(e, 'NOT_FOUND')) return undefined; // removed since the HEAD
    throw e;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      stream.destroy();
      return { bytes: Buffer.alloc(0), size: total, mtime: info.mtime };
    }
    chunks.push(chunk);
  }
  return {
    bytes: Buffer.concat(chunks),
    size: total,
    mtime: info.mtime,
    ...(info.etag === undefined ? {} : { etag: info.etag }),
  };
}

/** The tenants document under a control prefix, or undefined when there is none. BAD_INPUT when damaged. */
export async function readStoredTenants(store: ObjectStore): Promise<StoredTenants | undefined> {
  const got = await readBounded(store, CONTROL_TENANTS_KEY, MAX_TENANTS_BYTES);
  if (got === undefined) return undefined;
  const where = `${store.display}/${CONTROL_TENANTS_KEY}`;
  if (got.size > MAX_TENANTS_BYTES) {
    throw badInput(
      `The tenants object is ${got.size} bytes, more than the ${MAX_TENANTS_BYTES} claas ever writes`,
      where,
      'It is not one claas wrote: restore it (claas tenant import --replace) from a backup.',
    );
  }
  return {
    file: parseTenants(got.bytes.toString('utf8'), where),
    mtime: got.mtime,
    ...(got.etag === undefined ? {} : { etag: got.etag }),
  };
}

async function writeStoredTenants(store: ObjectStore, file: TenantsFile): Promise<void> {
  await store.put(
    CONTROL_TENANTS_KEY,
    { kind: 'bytes', data: Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8') },
    { contentType: 'application/json', role: 'metadata' },
  );
}

/** Takes the control prefix's lock, waiting up to waitMs while another change holds it. */
async function lockControl(store: ObjectStore, operation: string, waitMs: number): Promise<HeldLock> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await acquireLock(store, { operation, ttlMs: 60_000 });
    } catch (e) {
      if (!isClaasError(e, 'LOCKED') || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}

async function underLock<T>(
  store: ObjectStore,
  operation: string,
  waitMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await lockControl(store, operation, waitMs);
  try {
    return await fn();
  } finally {
    await lock.release().catch(() => undefined); // an entry left behind expires by itself
  }
}

/** The tenants under a control prefix as a TenantsBackend for the `claas tenant` verbs. */
export function storeTenants(store: ObjectStore, o: { lockWaitMs?: number } = {}): TenantsBackend {
  const waitMs = o.lockWaitMs ?? 30_000;
  return {
    where: `${store.display}/${CONTROL_TENANTS_KEY}`,
    read: async () => (await readStoredTenants(store))?.file ?? emptyTenants(),
    change: (fn) =>
      underLock(store, 'tenant change', waitMs, async () => {
        const file = (await readStoredTenants(store))?.file ?? emptyTenants();
        const result = await fn(file);
        await writeStoredTenants(store, file);
        return result;
      }),
  };
}

/**
 * Puts the tenants of a file into the control prefix (`claas tenant import`). Refused (CONFLICT) when the
 * store already has tenants, unless replace; a damaged object there is replaced only with replace.
 */
export async function importTenants(
  store: ObjectStore,
  file: TenantsFile,
  o: { replace?: boolean; lockWaitMs?: number } = {},
): Promise<{ imported: number; replaced: number }> {
  return underLock(store, 'tenant import', o.lockWaitMs ?? 30_000, async () => {
    let present: number;
    try {
      present = (await readStoredTenants(store))?.file.tenants.length ?? 0;
    } catch (e) {
      if (!isClaasError(e, 'BAD_INPUT') || o.replace !== true) throw e;
      present = 0;
    }
    if (present > 0 && o.replace !== true) {
      throw new ClaasError('CONFLICT', `the store already has ${present} tenant(s)`, {
        input: `${store.display}/${CONTROL_TENANTS_KEY}`,
        hint: 'add --replace to replace them with the file (their passwords stop working), or change them with claas tenant add|update|remove',
      });
    }
    await writeStoredTenants(store, file);
    return { imported: file.tenants.length, replaced: present };
  });
}
