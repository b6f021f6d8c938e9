// Uploading files into a library item through an update session: create the session, add each file as
// PUSH (with its size and SHA-256 so that vCenter verifies what it receives), PUT the bytes to the file's
// upload endpoint while hashing them on the way, complete the session and wait until vCenter has
// committed it. Any failure cancels the session, so the item keeps its previous content.

import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ClaasError } from '../errors.js';
import type { VcenterApi } from './api.js';
import { pollUntil } from './poll.js';
import type { PollOptions } from './poll.js';
import { protocolError } from './shape.js';
import type { SessionInfo } from './types.js';

export interface UploadSource {
  /** The file's name in the item (e.g. photon.ovf, photon-disk1.vmdk). */
  name: string;
  size: number;
  /** Lowercase hex SHA-256 of the bytes: sent to vCenter and checked while streaming. */
  sha256?: string;
  /** The bytes: a buffer, or a stream opened only when this file's turn comes. */
  open(): Buffer | Readable | Promise<Buffer | Readable>;
}

export interface UploadProgress {
  file: string;
  bytes: number;
  size: number;
}

export interface UploadOptions extends PollOptions {
  onProgress?: (p: UploadProgress) => void;
}

/**
 * Counts and hashes the bytes on their way to vCenter, reporting progress. The latest chunk is held back
 * until the next one (or the end) arrives, so a source that yields other bytes than announced fails the
 * upload before vCenter has received a whole file.
 */
class Meter extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private held: Buffer | undefined;

  constructor(
    private readonly f: UploadSource,
    private readonly report: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.f.size) return done(this.changed('more bytes'));
    this.hash.update(chunk);
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    this.report(this.bytes);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.bytes !== this.f.size) return done(this.changed(`${this.bytes} bytes`));
    const sha256 = this.hash.digest('hex');
    const want = this.f.sha256?.toLowerCase();
    if (want !== undefined && sha256 !== want) return done(this.changed(`SHA-256 ${sha256}`));
    done(null, this.held);
  }

  private changed(read: string): ClaasError {
    const f = this.f;
    return new ClaasError('INTEGRITY', `The bytes of '${f.name}' are not the ones announced for the upload`, {
      input: f.name,
      hint:
        `Expected ${f.size} bytes${f.sha256 === undefined ? '' : ` with SHA-256 ${f.sha256}`}, read ${read}; ` +
        'make sure nothing writes the file during the upload, then retry.',
    });
  }
}

async function uploadOne(
  api: VcenterApi,
  sessionId: string,
  f: UploadSource,
  o: UploadOptions,
): Promise<void> {
  const info = await api.addUpdateFile(sessionId, {
    name: f.name,
    sourceType: 'PUSH',
    size: f.size,
    ...(f.sha256 === undefined ? {} : { checksum: { algorithm: 'SHA256' as const, checksum: f.sha256 } }),
  });
  const uri = info.uploadEndpoint?.uri;
  if (uri === undefined) {
    throw protocolError(
      { op: `add file '${f.name}'`, server: api.server },
      'no upload endpoint for a PUSH file',
    );
  }
  const source = await f.open();
  const meter = new Meter(f, (bytes) => o.onProgress?.({ file: f.name, bytes, size: f.size }));
  const stream = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  stream.once('error', (e: Error) => meter.destroy(e));
  await api.putFile(uri, stream.pipe(meter), f.size);
}

/** Waits until a completed update session is DONE; ERROR (or CANCELED) throws vCenter's reason. */
async function waitCommitted(api: VcenterApi, sessionId: string, o: PollOptions): Promise<SessionInfo> {
  return pollUntil(
    'commit the upload',
    api.server,
    async () => {
      const s = await api.getUpdateSession(sessionId);
      if (s.state === 'DONE') return s;
      if (s.state === 'ERROR' || s.state === 'CANCELED') {
        throw new ClaasError(
          'INTEGRITY',
          `vCenter ${api.server} rejected the upload (${s.state})${s.errorMessage ? `: ${s.errorMessage}` : ''}`,
          {
            input: sessionId,
            hint: 'vCenter checks sizes and checksums of what it receives; check the source files and retry.',
          },
        );
      }
      return undefined;
    },
    o,
  );
}

/**
 * Uploads files into an item (adding them, or replacing files of the same name) in one update session.
 * Files go one after the other; each is streamed, never held whole in memory unless given as a buffer.
 */
export async function uploadItemFiles(
  api: VcenterApi,
  itemId: string,
  files: readonly UploadSource[],
  o: UploadOptions = {},
): Promise<void> {
  const sessionId = await api.createUpdateSession(itemId);
  let completed = false;
  try {
    for (const f of files) await uploadOne(api, sessionId, f, o);
    await api.endUpdateSession(sessionId, 'complete');
    completed = true;
    await waitCommitted(api, sessionId, o);
  } catch (e) {
    if (!completed) await api.endUpdateSession(sessionId, 'cancel').catch(() => undefined);
    throw e;
  }
}
