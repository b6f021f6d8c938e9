// Uploads that start while the scan is still hashing: a large file whose SHA-256 has just been computed
// already has its final key (<item>/<sha256>/<name>: content-addressed, immutable), so its upload need not
// wait for the rest of the folder to be hashed. The publish engine later takes each early upload instead of
// starting its own; nothing is referenced until the engine commits, so an early upload that the plan does
// not use (or a publish that fails, e.g. on the lock) only leaves an unreferenced object that gc removes
// after the grace period, as any interrupted publish does.

import { encodeHref, hrefToKey } from '../vcsp/hrefs.js';
import type { HashedFile } from '../content/types.js';
import { listKeys } from '../store/list-keys.js';
import type { ObjectStore, StoredObject } from '../store/types.js';

export interface EarlyUploadOptions {
  /**
   * SHA-256 of every file the library's current version holds (those are not uploaded again), once the
   * destination has been read; undefined: no early uploads (a library another tool wrote, whose files keep
   * their own keys when adopted). Nothing is uploaded before it resolves; a rejection uploads nothing.
   */
  knownHashes: Promise<Set<string> | undefined>;
  /** Files below this size wait for the engine (default 16 MiB: only large files gain from starting early). */
  minSize?: number;
}

export class EarlyUploads {
  private readonly uploads = new Map<string, Promise<boolean>>();
  private readonly ctrl = new AbortController();
  private present: Promise<Map<string, StoredObject>> | undefined;
  private readonly minSize: number;

  constructor(
    private readonly store: ObjectStore,
    private readonly o: EarlyUploadOptions,
  ) {
    this.minSize = o.minSize ?? 16 * 1024 * 1024;
    // A destination that cannot be read fails the publish where it is awaited, not as unhandled here.
    o.knownHashes.catch(() => undefined);
  }

  /** Starts the upload of a freshly hashed file when it is large and new to the library. */
  offer(f: HashedFile): void {
    if (f.size < this.minSize || this.ctrl.signal.aborted) return;
    let key: string;
    try {
      key = hrefToKey(encodeHref([f.item, f.sha256, f.name]), f.name);
    } catch {
      return; // a name the engine will refuse with a proper error
    }
    if (this.uploads.has(key)) return;
    // Resolves true once key holds the file's bytes; false when it left the file to the engine.
    const upload = (async (): Promise<boolean> => {
      const known = await this.o.knownHashes;
      if (known === undefined || this.ctrl.signal.aborted) return false;
      this.present ??= listKeys(this.store);
      if ((await this.present).get(key)?.size === f.size) return true;
      if (known.has(f.sha256)) return false; // the library has these bytes, maybe under another key
      await this.store.put(
        key,
        { kind: 'file', path: f.path, stat: f.stat },
        { sha256: f.sha256, signal: this.ctrl.signal },
      );
      return true;
    })();
    upload.catch(() => undefined); // seen by whoever takes it; a failed early upload is simply redone
    this.uploads.set(key, upload);
  }

  /** Whether this run started an upload of key. */
  has(key: string): boolean {
    return this.uploads.has(key);
  }

  /**
   * The early upload of key, or undefined when none was started: resolves true when key holds the bytes,
   * false when the engine must decide as usual (rejects when the upload failed: the engine redoes it).
   */
  take(key: string): Promise<boolean> | undefined {
    const upload = this.uploads.get(key);
    this.uploads.delete(key);
    return upload;
  }

  /** Stops the uploads nobody took (resumable like any interrupted upload) and waits for them to end. */
  async stop(): Promise<void> {
    this.ctrl.abort(new Error('not needed by this publish'));
    await Promise.allSettled(this.uploads.values());
    this.uploads.clear();
  }
}
