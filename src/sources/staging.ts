// Importing from a remote source (a vCenter library, a VCSP URL) into a library location without a local
// copy: every file the source sends is streamed into a staging key inside the destination store
// (`.claas/staging/<run>/...`) while it is counted and hashed; only a file whose size and known digests
// match is ever completed there (the last chunk is held back until the check passed). The publish engine
// then gets SourceFiles with the SHA-256 measured on the way and `stored` origins pointing at the staged
// keys, and copies them to their content-addressed keys before it commits. Staging keys are deleted
// afterwards, whatever happened; garbage collection never looks below `.claas/`.
//
// Incremental imports: `.claas/imports/<source>.json` records, for each source item, the fingerprint the
// source gave it (a VCSP item version, a vCenter content version and file list) and the size and SHA-256
// of the files published from it. An item whose fingerprint is unchanged, and whose files the destination
// still holds, is handed to the engine as `stored` origins at the existing keys: nothing is downloaded.

import { createHash, randomBytes } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { z } from 'zod';
import { ClaasError } from '../errors.js';
import type { FileOrigin, SourceFile } from '../content/types.js';
import type { ObjectStore } from '../store/types.js';
import type { LibraryState } from '../publish/state.js';
import { hrefToKey } from '../vcsp/hrefs.js';

export const STAGING_PREFIX = '.claas/staging/';
export const IMPORTS_PREFIX = '.claas/imports/';
/** Staging keys older than this belong to a run that died; the next import removes them. */
export const STALE_STAGING_MS = 24 * 3600 * 1000;
/**
 * S3 can only take a stream of unknown SHA-256 below its multipart threshold (the hash goes into the
 * upload's metadata first). Such files are staged in parts of this size, each put from memory.
 */
export const STAGING_CHUNK_BYTES = 32 * 1024 * 1024;

// ---- expected digests ----

export type DigestAlgo = 'sha256' | 'sha1' | 'sha512' | 'md5';

/** A digest a source states for a file before it is read. */
export interface Expected {
  algo: DigestAlgo;
  /** Lowercase hex. */
  hex: string;
  /** Where the expectation comes from, for messages: "href", "manifest photon.mf", "vCenter checksum". */
  from: string;
}

const HEX_LENGTH: Record<DigestAlgo, number> = { sha256: 64, sha1: 40, sha512: 128, md5: 32 };

/** Adds an expectation unless the same digest is already expected; returns false on a contradiction. */
export function addExpected(list: Expected[], e: Expected): boolean {
  const hex = e.hex.toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex) || hex.length !== HEX_LENGTH[e.algo]) return true; // unusable: ignored
  const same = list.find((x) => x.algo === e.algo);
  if (same === undefined) {
    list.push({ ...e, hex });
    return true;
  }
  if (same.hex === hex) {
    if (!same.from.includes(e.from)) same.from = `${same.from} and ${e.from}`;
    return true;
  }
  return false;
}

// ---- the checking stream ----

/** What a file's bytes are checked against while they stream, and where to report. */
export interface StageRequest {
  /** Item and file in messages: `item "photon" file "photon.ovf"`. */
  where: string;
  size: number;
  expected: readonly Expected[];
  /** The source's address for the file (no credentials). */
  describe: string;
  open(): Promise<Readable>;
  /** Keep the bytes in memory when the file is at most this large (descriptors, manifests). */
  keepBytes?: number;
  onBytes?: (bytes: number) => void;
  /** Stops this transfer (default: the staging area's signal). */
  signal?: AbortSignal;
}

export interface CheckedDigests {
  bytes: number;
  sha256: string;
  digests: Partial<Record<DigestAlgo, string>>;
  kept?: Buffer;
}

/**
 * Counts and hashes bytes on their way into the store. The latest chunk is held back until the next one
 * or the end arrives, so a source that sends more or fewer bytes than declared, or other bytes than a
 * stated digest, fails the write before the store has received the whole file.
 */
export class CheckedStream extends Transform {
  private readonly hashes = new Map<DigestAlgo, Hash>();
  private seen = 0;
  private held: Buffer | undefined;
  private readonly kept: Buffer[] | undefined;
  /** Set once the end was reached and everything matched. */
  result: CheckedDigests | undefined;
  /** The first check that failed. */
  failure: ClaasError | undefined;

  constructor(private readonly spec: StageRequest) {
    super();
    for (const algo of new Set<DigestAlgo>(['sha256', ...spec.expected.map((e) => e.algo)])) {
      this.hashes.set(algo, createHash(algo));
    }
    this.kept = spec.keepBytes !== undefined && spec.size <= spec.keepBytes ? [] : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.spec.size) return done(this.fail(this.sizeError('more')));
    for (const h of this.hashes.values()) h.update(chunk);
    this.kept?.push(chunk);
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    this.spec.onBytes?.(chunk.length);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.spec.size) return done(this.fail(this.sizeError('fewer')));
    const digests: Partial<Record<DigestAlgo, string>> = {};
    for (const [algo, h] of this.hashes) digests[algo] = h.digest('hex');
    const wrong = this.spec.expected.find((e) => digests[e.algo] !== e.hex);
    if (wrong !== undefined) {
      return done(
        this.fail(
          new ClaasError(
            'INTEGRITY',
            `${this.spec.where}: ${wrong.algo.toUpperCase()} of the bytes received is ${digests[wrong.algo]}, ` +
              `but ${wrong.from} says ${wrong.hex}`,
            {
              input: this.spec.describe,
              hint: 'The source serves other bytes than it declares (corrupt, changed meanwhile, or tampered with); nothing was imported.',
            },
          ),
        ),
      );
    }
    this.result = {
      bytes: this.seen,
      sha256: digests.sha256 as string,
      digests,
      ...(this.kept === undefined ? {} : { kept: Buffer.concat(this.kept) }),
    };
    done(null, this.held);
  }

  private fail(e: ClaasError): ClaasError {
    this.failure ??= e;
    return e;
  }

  private sizeError(which: 'more' | 'fewer'): ClaasError {
    return new ClaasError(
      'INTEGRITY',
      `${this.spec.where}: the source sent ${which === 'more' ? 'more' : `only ${this.seen}`} bytes, ` +
        `but the file is declared as ${this.spec.size} bytes`,
      {
        input: this.spec.describe,
        hint:
          which === 'more'
            ? 'The source serves a file that does not match its record; nothing was imported.'
            : 'The transfer was cut short or the file does not match its record; run the import again.',
      },
    );
  }
}

// ---- staging ----

/** A file in the staging area: its measured size and SHA-256 and where the engine copies it from. */
export interface StagedFile {
  sha256: string;
  size: number;
  digests: Partial<Record<DigestAlgo, string>>;
  origin: FileOrigin;
  /** The bytes, when the request asked to keep them. */
  bytes?: Buffer;
}

const noop = (): void => undefined;

/** One import run's staging keys in a destination store. */
export class StagingArea {
  readonly prefix: string;
  private readonly keys = new Set<string>();
  private counter = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly o: { chunkBytes?: number; signal?: AbortSignal } = {},
  ) {
    this.prefix = `${STAGING_PREFIX}${randomBytes(8).toString('hex')}/`;
  }

  /** Keys written so far (removed by cleanup). */
  get stagedKeys(): string[] {
    return [...this.keys];
  }

  /** Streams one file into the staging area, checking it on the way. */
  async stage(req: StageRequest): Promise<StagedFile> {
    const signal = req.signal ?? this.o.signal;
    signal?.throwIfAborted();
    const base = `${this.prefix}${String(++this.counter).padStart(6, '0')}`;
    const sha256 = req.expected.find((e) => e.algo === 'sha256')?.hex;
    // Only S3 needs the hash before a large stream is written; a folder store hashes while it writes.
    if (this.store.kind === 's3' && sha256 === undefined) return this.stageChunks(req, base, signal);
    let checked: CheckedStream | undefined;
    const source: { error?: unknown } = {};
    this.keys.add(base);
    try {
      await this.store.put(
        base,
        {
          kind: 'stream',
          size: req.size,
          describe: req.describe,
          open: async () => {
            const raw = await req.open();
            raw.once('error', (e) => (source.error ??= e));
            checked = new CheckedStream(req);
            return pipeline(raw, checked, noop);
          },
        },
        {
          ...(sha256 === undefined ? {} : { sha256 }),
          ...(signal === undefined ? {} : { signal }),
        },
      );
    } catch (e) {
      if (signal?.aborted === true) throw signal.reason;
      throw checked?.failure ?? transferError(req, source.error) ?? e;
    }
    const result = checked?.result;
    if (result === undefined) {
      throw new ClaasError('INTERNAL', `${req.where}: the store finished before the source ended`, {
        input: req.describe,
      });
    }
    return {
      sha256: result.sha256,
      size: result.bytes,
      digests: result.digests,
      origin: { kind: 'stored', key: base },
      ...(result.kept === undefined ? {} : { bytes: result.kept }),
    };
  }

  /** Stages a stream of unknown SHA-256 on S3 as parts put from memory. */
  private async stageChunks(
    req: StageRequest,
    base: string,
    signal: AbortSignal | undefined,
  ): Promise<StagedFile> {
    const chunkBytes = this.o.chunkBytes ?? STAGING_CHUNK_BYTES;
    const checked = new CheckedStream(req);
    const source: { error?: unknown } = {};
    const parts: string[] = [];
    let pending: Buffer[] = [];
    let have = 0;
    /** Puts the first `bytes` pending bytes as the next part. */
    const putPart = async (bytes: number): Promise<void> => {
      const all = Buffer.concat(pending, have);
      const key = `${base}.${String(parts.length + 1).padStart(5, '0')}`;
      this.keys.add(key);
      await this.store.put(
        key,
        { kind: 'bytes', data: all.subarray(0, bytes) },
        signal === undefined ? {} : { signal },
      );
      parts.push(key);
      pending = bytes < all.length ? [all.subarray(bytes)] : [];
      have = all.length - bytes;
    };
    let stream: Readable | undefined;
    try {
      const raw = await req.open();
      raw.once('error', (e) => (source.error ??= e));
      stream = pipeline(raw, checked, noop);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        signal?.throwIfAborted();
        pending.push(chunk);
        have += chunk.length;
        while (have >= chunkBytes) await putPart(chunkBytes);
      }
      if (have > 0 || parts.length === 0) await putPart(have);
    } catch (e) {
      if (signal?.aborted === true) throw signal.reason;
      throw checked.failure ?? transferError(req, source.error) ?? e;
    } finally {
      stream?.destroy(); // a part that could not be stored leaves the source mid-transfer
    }
    const result = checked.result;
    if (result === undefined) {
      throw new ClaasError('INTERNAL', `${req.where}: the stream ended without its check`, {
        input: req.describe,
      });
    }
    const store = this.store;
    const origin: FileOrigin =
      parts.length === 1
        ? { kind: 'stored', key: parts[0]! }
        : {
            kind: 'stream',
            describe: `${store.display}/${base}.*`,
            open: () => Promise.resolve(Readable.from(concatParts(store, parts))),
          };
    return {
      sha256: result.sha256,
      size: result.bytes,
      digests: result.digests,
      origin,
      ...(result.kept === undefined ? {} : { bytes: result.kept }),
    };
  }

  /** Deletes every key this run staged. */
  async cleanup(): Promise<void> {
    if (this.keys.size === 0) return;
    await this.store.delete([...this.keys]);
    this.keys.clear();
  }
}

/** A ClaasError for a source stream that failed mid-transfer (a reset connection, a timeout). */
function transferError(req: StageRequest, e: unknown): ClaasError | undefined {
  if (e === undefined) return undefined;
  if (e instanceof ClaasError) return e;
  const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return new ClaasError('UNREACHABLE', `${req.where}: the transfer from the source failed (${why})`, {
    input: req.describe,
    hint: 'The connection broke off; run the import again (files already imported are not fetched again).',
    cause: e,
  });
}

async function* concatParts(store: ObjectStore, keys: readonly string[]): AsyncGenerator<Buffer> {
  for (const key of keys) {
    const part = await store.read(key);
    for await (const chunk of part as AsyncIterable<Buffer>) yield chunk;
  }
}

/** Removes staging keys left by runs that died (older than maxAgeMs); returns how many. */
export async function cleanStaleStaging(
  store: ObjectStore,
  maxAgeMs = STALE_STAGING_MS,
  now = Date.now(),
): Promise<number> {
  const stale: string[] = [];
  for await (const obj of store.list(STAGING_PREFIX)) {
    if (now - obj.mtime.getTime() > maxAgeMs) stale.push(obj.key);
  }
  if (stale.length > 0) await store.delete(stale);
  return stale.length;
}

// ---- the import record ----

export interface RecordedFile {
  name: string;
  size: number;
  sha256: string;
}

export interface RecordedItem {
  /** The source's id of the item (VCSP item id, vCenter library item id). */
  id: string;
  /** What the source said about the item's content last time (see the sources). */
  fingerprint: string;
  name: string;
  isVappTemplate?: boolean;
  files: RecordedFile[];
}

export interface ImportRecord {
  format: 'claas.import/1';
  source: { kind: 'vcsp' | 'vcenter'; url: string; id: string };
  updatedAt: string;
  items: RecordedItem[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

const RecordSchema = z.object({
  format: z.literal('claas.import/1'),
  source: z.object({ kind: z.enum(['vcsp', 'vcenter']), url: z.string(), id: z.string() }),
  updatedAt: z.string(),
  items: z
    .array(
      z.object({
        id: z.string().min(1),
        fingerprint: z.string(),
        name: z.string().min(1),
        isVappTemplate: z.boolean().optional(),
        files: z.array(
          z.object({
            name: z.string().min(1),
            size: z.number().int().nonnegative(),
            sha256: z.string().regex(SHA256_HEX),
          }),
        ),
      }),
    )
    .max(100_000),
});

/** The key of a source's import record: one per source library, named by a hash of its identity. */
export function importRecordKey(kind: ImportRecord['source']['kind'], identity: string): string {
  const h = createHash('sha256').update(`${kind}\u0000${identity}`).digest('hex').slice(0, 32);
  return `${IMPORTS_PREFIX}${kind}-${h}.json`;
}

/**
 * Parses an import record. A damaged record is not an error (it only saves downloads): undefined is
 * returned and the caller downloads everything again.
 */
export function parseImportRecord(text: string): ImportRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = RecordSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const r = parsed.data;
  return {
    format: r.format,
    source: { ...r.source },
    updatedAt: r.updatedAt,
    items: r.items.map((i) => ({
      id: i.id,
      fingerprint: i.fingerprint,
      name: i.name,
      ...(i.isVappTemplate === undefined ? {} : { isVappTemplate: i.isVappTemplate }),
      files: i.files.map((f) => ({ ...f })),
    })),
  };
}

export async function readImportRecord(store: ObjectStore, key: string): Promise<ImportRecord | undefined> {
  const bytes = await store.readBytes(key);
  return bytes === undefined ? undefined : parseImportRecord(bytes.toString('utf8'));
}

export async function writeImportRecord(store: ObjectStore, key: string, r: ImportRecord): Promise<void> {
  await store.put(
    key,
    { kind: 'bytes', data: Buffer.from(`${JSON.stringify(r, null, 1)}\n`) },
    { contentType: 'application/json', role: 'metadata' },
  );
}

// ---- the incremental decision ----

/** Files the destination's current version holds, by SHA-256: where they are and how large. */
export type DestinationIndex = Map<string, { key: string; size: number }>;

/** Every file of the committed version, by SHA-256 (empty for an empty or not-yet-adopted library). */
export function destinationIndex(state: LibraryState): DestinationIndex {
  const index: DestinationIndex = new Map();
  if (state.kind !== 'claas') return index;
  const hashes = state.snapshot.hashes;
  for (const item of state.snapshot.items) {
    for (const file of item.files) {
      const href = file.hrefs[0];
      if (href === undefined || !Object.hasOwn(hashes, href)) continue;
      const sha256 = hashes[href]!;
      if (index.has(sha256)) continue;
      try {
        index.set(sha256, { key: hrefToKey(href, item.name), size: file.size });
      } catch {
        // An href the snapshot should never hold: not reused.
      }
    }
  }
  return index;
}

/** A `stored` SourceFile for bytes the destination already holds, or undefined. */
export function storedFile(
  index: DestinationIndex,
  file: { name: string; size: number; sha256: string },
): SourceFile | undefined {
  const at = index.get(file.sha256);
  if (at === undefined || at.size !== file.size) return undefined;
  return { name: file.name, size: file.size, sha256: file.sha256, origin: { kind: 'stored', key: at.key } };
}

export type ItemDecision =
  { action: 'reuse'; files: SourceFile[]; isVappTemplate?: boolean } | { action: 'fetch'; reason: string };

/**
 * Whether a source item must be downloaded: yes when the record does not know it, its fingerprint
 * changed, or the destination no longer holds every file published from it last time.
 */
export function decideItem(
  item: { id: string; fingerprint: string },
  recorded: ReadonlyMap<string, RecordedItem>,
  index: DestinationIndex,
): ItemDecision {
  const before = recorded.get(item.id);
  if (before === undefined) return { action: 'fetch', reason: 'not imported before' };
  if (before.fingerprint !== item.fingerprint) {
    return {
      action: 'fetch',
      reason: `changed at the source (${before.fingerprint} -> ${item.fingerprint})`,
    };
  }
  const files: SourceFile[] = [];
  for (const f of before.files) {
    const stored = storedFile(index, f);
    if (stored === undefined)
      return { action: 'fetch', reason: `"${f.name}" is no longer at the destination` };
    files.push(stored);
  }
  return {
    action: 'reuse',
    files,
    ...(before.isVappTemplate === undefined ? {} : { isVappTemplate: before.isVappTemplate }),
  };
}

/** The record's items by source id (the first of a duplicated id wins). */
export function recordedItems(record: ImportRecord | undefined): Map<string, RecordedItem> {
  const map = new Map<string, RecordedItem>();
  for (const item of record?.items ?? []) if (!map.has(item.id)) map.set(item.id, item);
  return map;
}
