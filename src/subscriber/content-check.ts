// What bytes a library file should have, and checking a stream against it. Expected digests come from
// the href itself (claas's content-addressed `<item>/<sha256>/<name>`), claas's version snapshot, and an
// OVF item's manifest (.mf); a stream is hashed once with every algorithm those sources need.

import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HashAlgo } from '../content/hash.js';
import { hashAlgoOf, parseManifest } from '../content/manifest.js';
import { decodeHref } from '../vcsp/index.js';
import type { FileRecord, ItemJson } from '../vcsp/index.js';
import type { LibrarySource } from './reader.js';

export interface ExpectedDigest {
  algo: HashAlgo;
  /** Lowercase hex. */
  hex: string;
  /** Where the expectation comes from, for messages: "href", "snapshot", "manifest photon.mf". */
  from: string;
}

/** Manifests larger than this are not read (a real one is a few lines per file). */
const MAX_MANIFEST_BYTES = 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The SHA-256 in a content-addressed href `<item>/<64 hex>/<name>`, or undefined. */
export function sha256FromHref(href: string): string | undefined {
  let segments: string[];
  try {
    segments = decodeHref(href, href);
  } catch {
    return undefined;
  }
  return segments.length === 3 && SHA256_HEX.test(segments[1]!) ? segments[1] : undefined;
}

/**
 * Digests listed in the item's manifest, by file name. An OVF item without a .mf, or with one that
 * cannot be read or parsed, gives an empty map plus a note of why (the file check reports a missing .mf).
 */
export async function manifestDigests(
  src: LibrarySource,
  item: ItemJson,
): Promise<{ digests: Map<string, ExpectedDigest>; problem?: string }> {
  const digests = new Map<string, ExpectedDigest>();
  const mf =
    item.type === 'vcsp.ovf' ? item.files.find((f) => f.name.toLowerCase().endsWith('.mf')) : undefined;
  const href = mf?.hrefs[0];
  if (mf === undefined || href === undefined || mf.size > MAX_MANIFEST_BYTES) return { digests };
  let text: string;
  try {
    text = (await src.getJson(href)).text;
  } catch (e) {
    return { digests, problem: `manifest ${mf.name} could not be read: ${(e as Error).message}` };
  }
  try {
    for (const [name, entry] of parseManifest(text, mf.name)) {
      digests.set(name, { algo: hashAlgoOf(entry.algo), hex: entry.hex, from: `manifest ${mf.name}` });
    }
  } catch (e) {
    return { digests, problem: (e as Error).message };
  }
  return { digests };
}

/** Every known expectation for one href of a file record; sources that agree are merged into one. */
export function expectedDigests(
  file: FileRecord,
  href: string,
  snapshotHashes: Record<string, string> | undefined,
  manifest: Map<string, ExpectedDigest> | undefined,
): ExpectedDigest[] {
  const out: ExpectedDigest[] = [];
  const add = (d: ExpectedDigest | undefined) => {
    if (d === undefined) return;
    const same = out.find((o) => o.algo === d.algo && o.hex === d.hex);
    if (same === undefined) out.push({ ...d });
    else same.from = `${same.from} and ${d.from}`;
  };
  const fromHref = sha256FromHref(href);
  add(fromHref === undefined ? undefined : { algo: 'sha256', hex: fromHref, from: 'href' });
  const fromSnapshot = snapshotHashes?.[href]?.toLowerCase();
  add(fromSnapshot === undefined ? undefined : { algo: 'sha256', hex: fromSnapshot, from: 'snapshot' });
  add(manifest?.get(file.name));
  return out;
}

export interface StreamDigests {
  bytes: number;
  digests: Partial<Record<HashAlgo, string>>;
}

/**
 * Reads a stream to its end, hashing it with each algorithm (and copying it to sink when given).
 * onBytes is called with the running byte count.
 */
export async function digestStream(
  stream: Readable,
  algos: readonly HashAlgo[],
  onBytes?: (bytes: number) => void,
  sink?: Writable,
): Promise<StreamDigests> {
  const hashes = [...new Set(algos)].map((algo) => ({ algo, hash: createHash(algo) }));
  let bytes = 0;
  async function* tap(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      for (const h of hashes) h.hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      yield chunk;
    }
  }
  if (sink === undefined) {
    for await (const _chunk of tap(stream)) {
      // consumed by tap
    }
  } else {
    await pipeline(stream, tap, sink);
  }
  return { bytes, digests: Object.fromEntries(hashes.map((h) => [h.algo, h.hash.digest('hex')])) };
}

/** The expectations a digest run contradicts. */
export function mismatches(expected: readonly ExpectedDigest[], got: StreamDigests): ExpectedDigest[] {
  return expected.filter((d) => got.digests[d.algo] !== d.hex);
}
