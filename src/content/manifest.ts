// OVF manifest (.mf) parsing and checking: lines like `SHA256(disk1.vmdk)= <hex>` (or SHA1, SHA512).
// Checking reuses hash.ts's reading loop; SHA-256 comes from the content hash claas already computed.

import { badInput } from '../errors.js';
import { digestWithCache, type HashCache } from './hash-cache.js';
import type { HashAlgo } from './hash.js';
import { unsafeSegmentReason } from './names.js';
import type { SourceFile } from './types.js';
import { requireLocal } from './origin.js';

export type ManifestAlgo = 'SHA256' | 'SHA1' | 'SHA512';

export interface ManifestEntry {
  algo: ManifestAlgo;
  /** Lowercase hex digest. */
  hex: string;
}

const HEX_LENGTH: Record<ManifestAlgo, number> = { SHA1: 40, SHA256: 64, SHA512: 128 };

const LINE = /^(SHA1|SHA256|SHA512)\((.+)\)\s*=\s*([0-9a-fA-F]+)$/;

const HINT = 'each line must read SHA256(<file name>)= <hex digest>; regenerate the manifest with ovftool';

/** Parses a manifest; input names the .mf in errors. Keys are file names. */
export function parseManifest(text: string, input: string): Map<string, ManifestEntry> {
  const out = new Map<string, ManifestEntry>();
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = LINE.exec(line);
    if (!m) throw badInput(`manifest line ${i + 1} is malformed: "${line.slice(0, 120)}"`, input, HINT);
    const algo = m[1] as ManifestAlgo;
    const name = m[2]!;
    const hex = m[3]!.toLowerCase();
    const reason = unsafeSegmentReason(name);
    if (reason !== undefined) {
      throw badInput(
        `manifest line ${i + 1} names "${name}", which is not a plain file name: ${reason}`,
        input,
      );
    }
    if (hex.length !== HEX_LENGTH[algo]) {
      throw badInput(
        `manifest line ${i + 1}: a ${algo} digest has ${HEX_LENGTH[algo]} hex digits, this one has ${hex.length}`,
        input,
        HINT,
      );
    }
    if (out.has(name)) throw badInput(`manifest line ${i + 1} lists "${name}" a second time`, input, HINT);
    out.set(name, { algo, hex });
  });
  return out;
}

/** The node crypto name of a manifest algorithm. */
export function hashAlgoOf(algo: ManifestAlgo): HashAlgo {
  return algo === 'SHA1' ? 'sha1' : algo === 'SHA512' ? 'sha512' : 'sha256';
}

export interface DigestOptions {
  hashCache?: HashCache;
  signal?: AbortSignal;
}

/**
 * The digest of file in the manifest entry's algorithm: SHA-256 is the file's content hash; SHA-1 and
 * SHA-512 are computed from its origin (cached like SHA-256). Returns the bytes read as well.
 */
export async function digestForManifest(
  algo: ManifestAlgo,
  file: SourceFile,
  opts: DigestOptions = {},
): Promise<{ hex: string; readBytes: number }> {
  if (algo === 'SHA256') return { hex: file.sha256, readBytes: 0 };
  const o = requireLocal(file.origin, file.name);
  const range =
    o.kind === 'file-range' ? { offset: o.offset, length: o.length, key: `${o.path}#${file.name}` } : {};
  const r = await digestWithCache(opts.hashCache, o.path, {
    algo: hashAlgoOf(algo),
    ...range,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { hex: r.hex, readBytes: r.readBytes };
}

/** True when file's bytes match the manifest entry. */
export async function verifyManifestEntry(
  entry: ManifestEntry,
  file: SourceFile,
  opts: DigestOptions = {},
): Promise<{ ok: boolean; readBytes: number }> {
  const d = await digestForManifest(entry.algo, file, opts);
  return { ok: d.hex === entry.hex, readBytes: d.readBytes };
}
