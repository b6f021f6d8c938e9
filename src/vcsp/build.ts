// Builds the VCSP documents claas publishes (lib.json, items, type-metadata) in the exact shapes
// and key order of docs/vcsp.md, and serializes them in one place.

import { randomUUID } from 'node:crypto';
import { encodeHref } from './hrefs.js';
import type { ItemJson, ItemType, LibJson, TypeMetadataEntry } from './types.js';

/** A fresh `urn:uuid:<uuid4>` id. */
export function newUrn(): string {
  return `urn:uuid:${randomUUID()}`;
}

/** UTC ISO-8601 with seconds and no milliseconds: `2026-11-24T19:05:00Z`. */
export function isoNow(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function makeLib(o: {
  name: string;
  id: string;
  version: number;
  created: string;
  description?: string;
}): LibJson {
  return {
    vcspVersion: '2',
    version: String(o.version),
    contentVersion: '1',
    name: o.name,
    ...(o.description ? { description: o.description } : {}),
    id: o.id,
    created: o.created,
    capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
    itemsHref: 'items.json',
  };
}

/** The metadata entry that lets vCenter show an OVF item's template kind. */
export function typeMetadata(o: {
  itemId: string;
  itemVersion: number;
  libraryId: string;
  isVappTemplate: boolean;
}): TypeMetadataEntry {
  const value = {
    id: o.itemId,
    version: String(o.itemVersion),
    libraryIdParent: o.libraryId,
    isVappTemplate: o.isVappTemplate ? 'true' : 'false',
    vmTemplate: null,
    vappTemplate: null,
    networks: [],
    storagePolicyGroups: null,
  };
  return typeMetadataEntry(JSON.stringify(value));
}

/** A type-metadata entry holding the given JSON text. */
export function typeMetadataEntry(value: string): TypeMetadataEntry {
  return { key: 'type-metadata', type: 'String', domain: 'SYSTEM', visibility: 'READONLY', value };
}

/**
 * One item. Every file carries the item version as its etag and the same integer generationNum,
 * which keeps vCenter from parsing the etag as a number.
 */
export function makeItem(o: {
  id: string;
  name: string;
  description: string;
  version: number;
  created: string;
  type: ItemType;
  folder: string;
  files: { name: string; size: number; href: string }[];
  generationNum: number;
  libraryId: string;
  isVappTemplate?: boolean;
}): ItemJson {
  const etag = String(o.version);
  const metadata =
    o.type === 'vcsp.ovf'
      ? {
          metadata: [
            typeMetadata({
              itemId: o.id,
              itemVersion: o.version,
              libraryId: o.libraryId,
              isVappTemplate: o.isVappTemplate === true,
            }),
          ],
        }
      : {};
  return {
    created: o.created,
    description: o.description,
    version: String(o.version),
    files: o.files.map((f) => ({
      name: f.name,
      size: f.size,
      etag,
      generationNum: o.generationNum,
      hrefs: [f.href],
    })),
    id: o.id,
    name: o.name,
    ...metadata,
    properties: {},
    selfHref: encodeHref([o.folder, 'item.json']),
    type: o.type,
  };
}

/** The one way claas writes JSON documents. */
export function serializeJson(doc: unknown): string {
  return JSON.stringify(doc, null, 2) + '\n';
}
