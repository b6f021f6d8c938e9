// Test fixture for the gateway's unit tests: a version snapshot as claas's publisher writes it.

import type { VersionSnapshot } from '../../../src/vcsp/types.js';

/** The snapshot of a version with no items, committed at minute `version` of 2026-01-01 by default. */
export function snapshot(version: number, committedAt = `2026-01-01T00:0${version}:00Z`): VersionSnapshot {
  return {
    format: 'claas.version/1',
    lib: {
      vcspVersion: '2',
      version: String(version),
      contentVersion: '1',
      name: 'lib',
      id: 'urn:uuid:00000000-0000-4000-8000-000000000000',
      created: committedAt,
      capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
      itemsHref: `items-${version}.json`,
    },
    items: [],
    hashes: {},
    committedAt,
  };
}
