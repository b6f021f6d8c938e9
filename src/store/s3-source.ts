// Random access to a put's bytes (memory or a range of a local file), so parts can be read one at a time
// with bounded memory and read again on retry, plus the hashes claas stores and S3 checks.

import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ClaasError, badInput } from '../errors.js';
import type { PutSource } from './types.js';

export interface PartReader {
  readonly size: number;
  /**
   * Exactly `length` bytes from `offset`; throws INTEGRITY when the file is shorter than it was. A file
   * reader fills `into` (when it is large enough) instead of allocating: multipart uploads reuse their part
   * buffers, which spares the garbage collector hundreds of 8 MiB allocations per GiB.
   */
  read(offset: number, length: number, into?: Buffer): Promise<Buffer>;
  close(): Promise<void>;
  /**
   * Present when the source is a file whose stat at open matched the one its SHA-256 was computed with:
   * resolves true while the file still has that stat (and the change time it had at open).
   */
  unchangedSinceHashed?: () => Promise<boolean>;
}

/** The number of bytes a put will send, without opening the file (for scheduling; 0 when unknown). */
export async function sourceSize(source: PutSource): Promise<number> {
  if (source.kind === 'bytes') return source.data.byteLength;
  if (source.kind === 'stream') return source.size;
  if (source.length !== undefined) return source.length;
  try {
    return (await stat(source.path)).size - (source.offset ?? 0);
  } catch {
    return 0; // openPartReader reports the problem.
  }
}

/**
 * Parts of a stream, read in order: each read must start where the previous one ended (multipart puts
 * read parts 1..n in order; a retry resends the buffer it already has).
 */
async function streamPartReader(source: Extract<PutSource, { kind: 'stream' }>): Promise<PartReader> {
  const input = await source.open();
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  let position = 0;
  return {
    size: source.size,
    async read(offset, length) {
      if (offset !== position) {
        throw new ClaasError('INTERNAL', `${source.describe}: parts of a stream must be read in order`);
      }
      const chunks: Buffer[] = [pending];
      let have = pending.length;
      while (have < length) {
        const next = await it.next();
        if (next.done === true) {
          throw new ClaasError(
            'INTEGRITY',
            `${source.describe} ended after ${position + have} bytes, expected ${source.size}`,
            {
              input: source.describe,
              hint: 'the source closed the transfer early; run again',
            },
          );
        }
        chunks.push(next.value);
        have += next.value.length;
      }
      const all = Buffer.concat(chunks, have);
      pending = all.subarray(length);
      position += length;
      return all.subarray(0, length);
    },
    close: async () => {
      input.destroy();
    },
  };
}

export async function openPartReader(source: PutSource): Promise<PartReader> {
  if (source.kind === 'stream') return streamPartReader(source);
  if (source.kind === 'bytes') {
    const data = Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength);
    return {
      size: data.length,
      read: (offset, length) => Promise.resolve(data.subarray(offset, offset + length)),
      close: () => Promise.resolve(),
    };
  }
  const base = source.offset ?? 0;
  let fh: FileHandle;
  try {
    fh = await open(source.path, 'r');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') {
      throw new ClaasError('NOT_FOUND', `The file to upload does not exist: ${source.path}`, {
        input: source.path,
        cause: e,
      });
    }
    throw badInput(`Cannot read the file to upload (${code ?? 'error'})`, source.path);
  }
  try {
    const opened = await fh.stat();
    const fileSize = opened.size;
    const hashed = source.stat;
    const same = (s: { size: number; mtimeMs: number; ino: number; ctimeMs: number }): boolean =>
      hashed !== undefined &&
      s.size === hashed.size &&
      s.mtimeMs === hashed.mtimeMs &&
      s.ino === hashed.ino &&
      s.ctimeMs === opened.ctimeMs;
    const size = source.length ?? fileSize - base;
    if (base < 0 || size < 0 || base + size > fileSize) {
      throw badInput(`The range ${base}+${size} is outside the file (${fileSize} bytes)`, source.path);
    }
    return {
      size,
      async read(offset, length, into) {
        const buf =
          into !== undefined && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(buf, done, length - done, base + offset + done);
          if (bytesRead === 0) {
            throw new ClaasError('INTEGRITY', `The file got shorter while it was uploaded: ${source.path}`, {
              input: source.path,
              hint: 'Do not change files while claas publishes them, then run the command again.',
            });
          }
          done += bytesRead;
        }
        return buf;
      },
      close: () => fh.close(),
      ...(same(opened) ? { unchangedSinceHashed: async () => same(await fh.stat()) } : {}),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** SHA-256 of everything the reader holds, read sequentially in chunks of `chunk` bytes. */
export async function hashReader(
  reader: PartReader,
  chunk = 8 * 1024 * 1024,
  signal?: AbortSignal,
): Promise<string> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < reader.size; offset += chunk) {
    signal?.throwIfAborted();
    hash.update(await reader.read(offset, Math.min(chunk, reader.size - offset)));
  }
  return hash.digest('hex');
}

export function integrityError(url: string, expected: string, actual: string, input: string): ClaasError {
  return new ClaasError(
    'INTEGRITY',
    `The bytes for ${url} hash to ${actual}, not the expected ${expected}; nothing was written`,
    { input, hint: 'The source changed after it was scanned; run the command again.' },
  );
}
