// Reading a stored object for a streamed copy (transfer.ts): in parts of a fixed size, each one read again
// whole from its first byte (a ranged read) when the connection breaks in the middle of it, with backoff and a
// bounded number of tries; and exactly the planned number of bytes: a source that ends early or goes on longer
// than planned has changed and is refused. Also the spool: a large object downloaded to a local file first,
// continued after a kill from what the file already holds.

import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClaasError, isClaasError } from '../errors.js';
import { isAbortError, isRetryable } from './s3-errors.js';
import { DEFAULT_RETRY, backoffDelay } from './s3-retry.js';
import type { RetryPolicy } from './s3-retry.js';
import type { ObjectStore } from './types.js';

/** Bytes read (and held) at once; a broken read starts again at the first byte of its part. */
export const READ_PART_SIZE = 8 * 1024 * 1024;

export interface ReadOptions {
  /** The planned size of the whole object. */
  size: number;
  /** Where to start (a spool continuing a partial file). */
  start?: number;
  partSize?: number;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Worth reading again: a dropped connection, a 5xx, a timeout (never a missing object or a refusal). */
export function isTransientReadError(e: unknown): boolean {
  if (isAbortError(e)) return false;
  if (isClaasError(e)) return e.code === 'UNREACHABLE';
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  if (/aborted|premature close|socket hang up/i.test((e as Error)?.message ?? '')) return true;
  return isRetryable(e);
}

function sizeError(url: string, got: string, size: number): ClaasError {
  return new ClaasError('INTEGRITY', `${url} ${got}, expected ${size} bytes`, {
    input: url,
    hint: 'the object changed since the copy was planned; run the command again',
  });
}

/** The object's bytes from `start` to its planned end, in parts of partSize (the last one shorter). */
export async function* readParts(store: ObjectStore, key: string, o: ReadOptions): AsyncGenerator<Buffer> {
  const url = `${store.display}/${key}`;
  const partSize = o.partSize ?? READ_PART_SIZE;
  const policy = o.retry ?? DEFAULT_RETRY;
  let offset = o.start ?? 0;
  let body: Readable | undefined;
  let it: AsyncIterator<Buffer> | undefined;
  let pending: Buffer[] = [];
  let have = 0;
  let attempt = 1;
  const drop = () => {
    body?.destroy();
    body = undefined;
    it = undefined;
    pending = [];
    have = 0;
  };
  if (offset >= o.size && o.size > 0) return;
  try {
    for (;;) {
      const want = Math.min(partSize, o.size - offset);
      let part: Buffer;
      try {
        o.signal?.throwIfAborted();
        if (it === undefined) {
          body = await store.read(key, offset === 0 ? undefined : { start: offset });
          it = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
        }
        while (have < want) {
          const next = await it.next();
          if (next.done === true) throw sizeError(url, `ended after ${offset + have} bytes`, o.size);
          pending.push(next.value);
          have += next.value.length;
        }
        const all = Buffer.concat(pending, have);
        part = all.subarray(0, want);
        pending = have > want ? [all.subarray(want)] : [];
        have -= want;
        if (offset + want === o.size) await expectEnd(it, have, url, o.size);
      } catch (e) {
        drop();
        if (!isTransientReadError(e) || attempt >= policy.attempts || o.signal?.aborted === true) throw e;
        o.onRetry?.(e, attempt);
        await sleep(backoffDelay(attempt, policy), undefined, o.signal ? { signal: o.signal } : {});
        attempt += 1;
        continue;
      }
      offset += want;
      attempt = 1;
      if (want > 0) yield part;
      if (offset >= o.size) return;
    }
  } finally {
    drop();
  }
}

/** After the planned last byte the source must end. */
async function expectEnd(it: AsyncIterator<Buffer>, extra: number, url: string, size: number): Promise<void> {
  for (let more = extra; more === 0;) {
    const next = await it.next();
    if (next.done === true) return;
    more += next.value.length;
  }
  throw sizeError(url, 'holds more bytes than planned', size);
}

/** The whole object in memory (for objects whose SHA-256 is not known: small documents). */
export async function readWhole(store: ObjectStore, key: string, o: ReadOptions): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of readParts(store, key, o)) parts.push(part);
  return Buffer.concat(parts, o.size);
}

/**
 * Downloads an object to <dir>/<sha256>.part, continuing a partial file from an earlier run with a ranged
 * read, and returns its path. The destination checks the SHA-256 when it takes the file.
 */
export async function spoolObject(
  store: ObjectStore,
  key: string,
  dir: string,
  sha256: string,
  o: ReadOptions,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${sha256}.part`);
  let have = (await stat(path).catch(() => undefined))?.size ?? 0;
  if (have > o.size) {
    await rm(path, { force: true });
    have = 0;
  }
  if (have === o.size) return path;
  const out = createWriteStream(path, { flags: have === 0 ? 'w' : 'a' });
  try {
    for await (const part of readParts(store, key, { ...o, start: have })) {
      if (!out.write(part)) await new Promise<void>((resolve) => out.once('drain', resolve));
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return path;
}
