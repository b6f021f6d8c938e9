// Reading the bytes of a source file from its origin (a whole file or a byte range of an OVA).
// Only for small things (tar headers, descriptors, manifests); big files are only hashed or streamed.

import { open, type FileHandle } from 'node:fs/promises';
import { badInput, ClaasError } from '../errors.js';
import { fsError } from './fs-errors.js';
import type { FileOrigin, LocalOrigin } from './types.js';
import { isLocalOrigin } from './types.js';

/** Reads length bytes at pos; the result is shorter only when the file ends first. */
export async function readFully(fh: FileHandle, pos: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, pos + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Names an origin in messages: a path, a store key or a described stream (never a secret). */
export function originLabel(origin: FileOrigin): string {
  switch (origin.kind) {
    case 'file':
    case 'file-range':
      return origin.path;
    case 'stored':
      return origin.key;
    case 'stream':
      return origin.describe;
  }
}

/** The local origin of a file, or INTERNAL: content checks only run on folder and OVA sources. */
export function requireLocal(origin: FileOrigin, name: string): LocalOrigin {
  if (!isLocalOrigin(origin))
    throw new ClaasError('INTERNAL', `${name} is not a local file (${origin.kind})`);
  return origin;
}

/** Reads a small file from its origin as UTF-8; larger than maxBytes is BAD_INPUT naming it. */
export async function readOriginText(any: FileOrigin, name: string, maxBytes: number): Promise<string> {
  const origin = requireLocal(any, name);
  let fh;
  try {
    fh = await open(origin.path, 'r');
  } catch (e) {
    throw fsError(e, origin.path);
  }
  try {
    const offset = origin.kind === 'file-range' ? origin.offset : 0;
    const length = origin.kind === 'file-range' ? origin.length : (await fh.stat()).size;
    if (length > maxBytes) {
      throw badInput(
        `${name} is ${length} bytes, more than the ${maxBytes} claas accepts for it`,
        origin.path,
      );
    }
    const buf = await readFully(fh, offset, length);
    if (buf.length < length) throw badInput(`${name} ended early while claas was reading it`, origin.path);
    return buf.toString('utf8');
  } catch (e) {
    throw fsError(e, origin.path);
  } finally {
    await fh.close();
  }
}
