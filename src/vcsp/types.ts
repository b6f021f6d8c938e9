// The VCSP (vSphere Content Subscription Protocol) version 2 documents as TypeScript types.
// Every value vCenter reads is a string except file sizes and generation numbers.

export type ItemType = 'vcsp.ovf' | 'vcsp.iso' | 'vcsp.other';

export interface LibJson {
  vcspVersion: string; // "2"
  version: string; // integer as string, only goes up
  contentVersion: string; // "1"
  name: string;
  id: string; // urn:uuid:<uuid4>
  created: string; // UTC ISO-8601
  capabilities: { transferIn: string[]; transferOut: string[] };
  itemsHref: string; // relative, "items.json"
  description?: string;
}

export interface FileRecord {
  name: string;
  size: number;
  etag: string; // one value for all files of an item; changes when any file changes
  generationNum: number; // integer; keeps vCenter from parsing etag as a number
  hrefs: string[]; // relative to the library root, URL-encoded segments
}

export interface TypeMetadataEntry {
  key: 'type-metadata';
  type: 'String';
  domain: 'SYSTEM';
  visibility: 'READONLY';
  value: string; // JSON text
}

export interface ItemJson {
  created: string;
  description: string;
  version: string;
  files: FileRecord[];
  id: string; // urn:uuid:<uuid>
  name: string;
  metadata?: TypeMetadataEntry[];
  properties: Record<string, string>;
  selfHref: string; // "<folder>/item.json"
  type: ItemType;
}

export interface ItemsJson {
  items: ItemJson[];
}

/**
 * claas's own record of one committed library version, written before items.json and lib.json
 * at `.claas/versions/<version>.json`. It holds what the VCSP files hold plus the SHA-256 of every
 * file href, so readers can verify content and find the newest version complete at a replica.
 */
export interface VersionSnapshot {
  format: 'claas.version/1';
  lib: LibJson;
  items: ItemJson[];
  /** href (as written in item files, URL-encoded) -> lowercase hex SHA-256 of its bytes */
  hashes: Record<string, string>;
  committedAt: string; // UTC ISO-8601
  publisher?: string;
}
