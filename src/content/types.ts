// What a source item is before it is published: the desired state the publish engine plans against.

import type { CacheStat } from './hash-cache.js';
import type { Readable } from 'node:stream';
import type { ItemType } from '../vcsp/types.js';

/** One file of a source item, with where its bytes come from. */
export interface SourceFile {
  /** File name as vCenter will see it (no slashes). */
  name: string;
  size: number;
  /** Lowercase hex SHA-256 of the bytes (computed by claas, cached by path/size/mtime). */
  sha256: string;
  /** Where the bytes are read from. */
  origin: FileOrigin;
}

/**
 * The stat of a local file when claas computed its SHA-256 (the scan): while the file keeps it, the hash
 * still describes its bytes (the hash cache's rule), so an upload need not hash the file again.
 */
export type ScannedStat = CacheStat;

/** A whole local file the scan has just hashed (its hash did not come from the cache). */
export interface HashedFile {
  /** The item (folder) it belongs to, and its name in the item. */
  item: string;
  name: string;
  path: string;
  size: number;
  sha256: string;
  stat: ScannedStat;
}

export type FileOrigin =
  /** A whole local file. */
  | { kind: 'file'; path: string; stat?: ScannedStat }
  /** A byte range of a local file (an OVA member: tar members are stored contiguously). */
  | { kind: 'file-range'; path: string; offset: number; length: number }
  /** Bytes already in the destination store at `key` (a rollback, a staged import): copied, not uploaded. */
  | { kind: 'stored'; key: string }
  /** Bytes read once from elsewhere (a vCenter download session, a VCSP URL); `describe` has no secrets. */
  | { kind: 'stream'; open: () => Promise<Readable>; describe: string };

/** Origins on the local file system: what folder scans produce and content checks read. */
export type LocalOrigin = Extract<FileOrigin, { kind: 'file' | 'file-range' }>;

export function isLocalOrigin(o: FileOrigin): o is LocalOrigin {
  return o.kind === 'file' || o.kind === 'file-range';
}

/** One item as the source describes it. */
export interface SourceItem {
  /** Item name shown in vCenter (also the folder name in the library). At most 80 characters. */
  name: string;
  description: string;
  type: ItemType;
  files: SourceFile[];
  /** For OVF items: the descriptor says VirtualSystemCollection. */
  isVappTemplate?: boolean;
  /** Where this item came from, for messages: a folder, an OVA, an ISO path. */
  sourcePath: string;
}

/** Something odd but not fatal found while reading a source (an extra file, a skipped folder). */
export interface ContentWarning {
  message: string;
  /** The path the warning is about. */
  input: string;
}
