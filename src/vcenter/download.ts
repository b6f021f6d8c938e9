// Reading a library item's files through a download session: the files and their sizes come from the
// item; each file is prepared on request, waited for until PREPARED, and streamed from its download
// endpoint with its length checked. claas import vcenter pipes these streams straight into a store.

import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { ClaasError, isClaasError } from '../errors.js';
import type { VcenterApi } from './api.js';
import { pollUntil } from './poll.js';
import type { PollOptions } from './poll.js';
import type { DownloadFileInfo, ItemFileInfo } from './types.js';

export interface DownloadSession {
  readonly id: string;
  readonly itemId: string;
  /** The item's files (name, size, and vCenter's checksum where it keeps one). */
  readonly files: readonly ItemFileInfo[];
  /** Prepares a file and returns its bytes as a stream that fails if the length is not the listed size. */
  open(name: string): Promise<Readable>;
  /** Ends the session (best effort: an expired session is already gone). */
  close(): Promise<void>;
}

/** Fails the stream when more or fewer bytes than expected arrive. */
class LengthCheck extends Transform {
  private seen = 0;

  constructor(
    private readonly expected: number,
    private readonly name: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected) return done(this.mismatch());
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.seen === this.expected ? null : this.mismatch());
  }

  private mismatch(): ClaasError {
    return new ClaasError(
      'INTEGRITY',
      `vCenter sent ${this.seen < this.expected ? 'fewer' : 'more'} bytes of '${this.name}' than its size ${this.expected}`,
      {
        input: this.name,
        hint: 'The download was cut or the item changed meanwhile; retry.',
      },
    );
  }
}

async function waitPrepared(
  api: VcenterApi,
  sessionId: string,
  first: DownloadFileInfo,
  o: PollOptions,
): Promise<string> {
  let info = first;
  return pollUntil(
    `prepare '${first.name}' for download`,
    api.server,
    async () => {
      if (info.status === 'PREPARED' && info.downloadEndpoint !== undefined) return info.downloadEndpoint.uri;
      if (info.status === 'ERROR') {
        throw new ClaasError(
          'NOT_FOUND',
          `vCenter ${api.server} could not prepare '${info.name}'${info.errorMessage ? `: ${info.errorMessage}` : ''}`,
          {
            input: info.name,
            hint: 'The file may not be cached on the datastore (on-demand library) or the datastore is unavailable.',
          },
        );
      }
      info = await api.getDownloadFile(sessionId, first.name);
      return info.status === 'PREPARED' && info.downloadEndpoint !== undefined
        ? info.downloadEndpoint.uri
        : undefined;
    },
    o,
  );
}

export async function openDownloadSession(
  api: VcenterApi,
  itemId: string,
  o: PollOptions = {},
): Promise<DownloadSession> {
  const files = await api.listItemFiles(itemId);
  const id = await api.createDownloadSession(itemId);
  return {
    id,
    itemId,
    files,
    async open(name: string): Promise<Readable> {
      const file = files.find((f) => f.name === name);
      if (file === undefined) {
        throw new ClaasError(
          'NOT_FOUND',
          `Library item ${itemId} on vCenter ${api.server} has no file '${name}'`,
          {
            input: name,
          },
        );
      }
      const uri = await waitPrepared(api, id, await api.prepareDownloadFile(id, name), o);
      const res = await api.getFile(uri);
      if (file.size === undefined) return res;
      const checked = new LengthCheck(file.size, name);
      res.on('error', (e) => checked.destroy(e));
      return res.pipe(checked);
    },
    async close(): Promise<void> {
      try {
        await api.deleteDownloadSession(id);
      } catch (e) {
        if (!isClaasError(e, 'NOT_FOUND')) throw e;
      }
    },
  };
}
