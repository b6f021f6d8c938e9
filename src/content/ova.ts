// OVA indexing without extraction: walks the tar headers with positional reads and returns each member
// as a byte range of the OVA (tar stores members contiguously), hashed with the optional hash cache.

import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { badInput } from '../errors.js';
import { hashWithCache, type HashCache } from './hash-cache.js';
import { fsError } from './fs-errors.js';
import { extensionOf, unsafeSegmentReason } from './names.js';
import { readFully } from './origin.js';
import { BLOCK, TarFormatError, decodeHeader, decodePax, isZeroBlock } from './tar-header.js';
import type { ContentWarning } from './types.js';

export interface OvaMember {
  name: string;
  /** Offset of the member's first data byte in the OVA file. */
  offset: number;
  size: number;
  /** Lowercase hex SHA-256 of the member's bytes. */
  sha256: string;
}

export interface OvaIndex {
  members: OvaMember[];
  warnings: ContentWarning[];
  /** Bytes read to hash members (0 when every member came from the hash cache). */
  hashedBytes: number;
  cachedMembers: number;
}

export interface IndexOvaOptions {
  hashCache?: HashCache;
  /** Bytes of member data hashed (or found in the cache) so far. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** The tar member layout of an OVA, before hashing. */
export type OvaLayout = Omit<OvaMember, 'sha256'>[];

const MAX_MEMBERS = 10_000;
const MAX_META_BYTES = 1024 * 1024; // pax and GNU long-name data
const HINT_TAR =
  'an OVA must be an uncompressed tar archive; re-export it with ovftool or split it into .ovf + disks';
const HINT_TRUNC = 'the file is incomplete: download or copy it again';

/** Tar entries that describe the next entry or the archive, not a member. */
const META_TYPES = new Set(['x', 'L', 'g', 'K']);

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

function memberNameError(name: string, path: string): Error | undefined {
  const reason = unsafeSegmentReason(name);
  if (reason === undefined) return undefined;
  return badInput(
    `OVA member "${name}" is not a plain file name: ${reason}`,
    path,
    'OVA members must be flat (no folders); re-create the OVA with ovftool',
  );
}

/** Reads the tar headers of the OVA at path and returns its members' byte ranges (no hashing). */
export async function readOvaLayout(path: string): Promise<OvaLayout> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw fsError(e, path);
  }
  try {
    const fileSize = (await fh.stat()).size;
    const members: OvaLayout = [];
    const names = new Set<string>();
    let pos = 0;
    let longName: string | undefined;
    let pax: Record<string, string> = {};
    for (;;) {
      if (pos + BLOCK > fileSize) {
        if (pos === 0)
          throw badInput(`${path} is not a tar archive (it is ${fileSize} bytes long)`, path, HINT_TAR);
        throw badInput(`OVA is truncated: the tar archive ends without its end marker`, path, HINT_TRUNC);
      }
      const block = await readFully(fh, pos, BLOCK);
      if (isZeroBlock(block)) break;
      let header;
      try {
        header = decodeHeader(block);
      } catch (e) {
        if (!(e instanceof TarFormatError)) throw e;
        if (pos === 0) throw badInput(`not a tar archive: ${e.message}`, path, HINT_TAR);
        throw badInput(`OVA is corrupt: invalid tar header at byte ${pos} (${e.message})`, path, HINT_TRUNC);
      }
      const dataStart = pos + BLOCK;
      const meta = META_TYPES.has(header.type);
      const paxSize = pax['size'];
      const size =
        meta || paxSize === undefined ? header.size : /^\d+$/.test(paxSize) ? Number(paxSize) : NaN;
      if (!Number.isSafeInteger(size)) {
        throw badInput(`OVA has an invalid member size at byte ${pos}`, path, HINT_TAR);
      }
      if (dataStart + size > fileSize) {
        throw badInput(
          `OVA is truncated: member "${longName ?? pax['path'] ?? header.name}" needs ${size} bytes at byte ${dataStart}, the file has ${fileSize}`,
          path,
          HINT_TRUNC,
        );
      }
      pos = dataStart + padded(size);
      if (header.type === 'x' || header.type === 'L') {
        if (size > MAX_META_BYTES) throw badInput(`OVA has an oversized tar extended header`, path, HINT_TAR);
        const data = await readFully(fh, dataStart, size);
        try {
          if (header.type === 'x') pax = { ...pax, ...decodePax(data) };
          else longName = data.toString('utf8').replace(/\0+$/, '');
        } catch (e) {
          if (!(e instanceof TarFormatError)) throw e;
          throw badInput(
            `OVA has a corrupt tar extended header at byte ${dataStart - BLOCK}`,
            path,
            HINT_TAR,
          );
        }
        continue;
      }
      if (header.type === 'g' || header.type === 'K') continue; // global pax, GNU long link name
      const name = longName ?? pax['path'] ?? header.name;
      longName = undefined;
      pax = {};
      if (header.type === '5') {
        throw badInput(
          `OVA contains a folder "${name}"`,
          path,
          'OVA members must be flat (no folders); re-create the OVA with ovftool',
        );
      }
      if (header.type !== '0' && header.type !== '7') {
        throw badInput(
          `OVA member "${name}" is not a regular file (tar type "${header.type}")`,
          path,
          'OVA members must be plain files; re-create the OVA with ovftool',
        );
      }
      const nameError = memberNameError(name, path);
      if (nameError) throw nameError;
      if (names.has(name)) throw badInput(`OVA contains "${name}" twice`, path, HINT_TAR);
      names.add(name);
      members.push({ name, offset: dataStart, size });
      if (members.length > MAX_MEMBERS)
        throw badInput(`OVA has more than ${MAX_MEMBERS} members`, path, HINT_TAR);
    }
    return members;
  } catch (e) {
    throw fsError(e, path);
  } finally {
    await fh.close();
  }
}

/**
 * Checks the layout is an OVF package: exactly one descriptor (else BAD_INPUT), stored first
 * (a warning when it is not: vCenter and ovftool expect it first). Returns the warnings.
 */
export function checkOvaLayout(layout: OvaLayout, path: string): ContentWarning[] {
  const descriptors = layout.filter((m) => extensionOf(m.name) === '.ovf');
  if (descriptors.length === 0) {
    throw badInput(
      'OVA contains no .ovf descriptor',
      path,
      'an OVA must hold an OVF descriptor, its disks and manifest',
    );
  }
  if (descriptors.length > 1) {
    throw badInput(
      `OVA contains ${descriptors.length} .ovf descriptors (${descriptors.map((d) => d.name).join(', ')})`,
      path,
      'an OVA must hold exactly one OVF descriptor',
    );
  }
  if (extensionOf(layout[0]!.name) !== '.ovf') {
    return [
      {
        message: `the OVF descriptor ${descriptors[0]!.name} is not the first member of the OVA`,
        input: path,
      },
    ];
  }
  return [];
}

/** Hashes each member's byte range of the OVA at path (from the hash cache when the OVA is unchanged). */
export async function hashOvaMembers(
  path: string,
  layout: OvaLayout,
  opts: IndexOvaOptions = {},
): Promise<Omit<OvaIndex, 'warnings'>> {
  const abs = resolve(path);
  const members: OvaMember[] = [];
  let hashedBytes = 0;
  let cachedMembers = 0;
  let progress = 0;
  for (const m of layout) {
    const base = progress;
    let r;
    try {
      r = await hashWithCache(opts.hashCache, abs, {
        offset: m.offset,
        length: m.size,
        key: `${abs}#${m.name}`,
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (n) => opts.onProgress?.(base + n),
      });
    } catch (e) {
      throw fsError(e, abs);
    }
    progress = base + m.size;
    if (r.cached) {
      cachedMembers++;
      opts.onProgress?.(progress);
    }
    hashedBytes += r.readBytes;
    members.push({ ...m, sha256: r.sha256 });
  }
  return { members, hashedBytes, cachedMembers };
}

/** Indexes the OVA at path: every member's byte range and SHA-256 (from the cache when unchanged). */
export async function indexOva(path: string, opts: IndexOvaOptions = {}): Promise<OvaIndex> {
  const abs = resolve(path);
  const layout = await readOvaLayout(abs);
  const warnings = checkOvaLayout(layout, abs);
  return { ...(await hashOvaMembers(abs, layout, opts)), warnings };
}
