// Shared test documents for the vcsp unit tests: a library as make_vcsp_2018.py writes it, and items
// as claas builds them.

import { makeItem } from '../../../src/vcsp/build.js';
import type { ItemJson } from '../../../src/vcsp/types.js';

export const LEGACY_LIB_ID = 'urn:uuid:0b3e1a52-8f7c-4d2e-9a61-5c7d8e9f0a1b';

/** lib.json as make_vcsp_2018.py writes it (minute-precision local time with Z). */
export const legacyLibJson = JSON.stringify(
  {
    vcspVersion: '2',
    version: '3',
    contentVersion: '1',
    name: 'templates',
    id: LEGACY_LIB_ID,
    created: '2024-03-01T10:15Z',
    capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
    itemsHref: 'items.json',
  },
  null,
  2,
);

/** One item as make_vcsp_2018.py writes it: MD5 folder etags, no generationNum, no metadata. */
export function legacyItem(
  name = 'photon',
  etag = '5d41402abc4b2a76b9719d911017c592',
): Record<string, unknown> {
  return {
    created: '2024-03-01T10:15Z',
    description: '',
    version: '2',
    files: [
      { name: `${name}.ovf`, size: 10822, etag, hrefs: [`${name}/${name}.ovf`] },
      { name: `${name}-disk1.vmdk`, size: 734003200, etag, hrefs: [`${name}/${name}-disk1.vmdk`] },
    ],
    id: 'urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7',
    name,
    properties: {},
    selfHref: `${name}/item.json`,
    type: 'vcsp.ovf',
  };
}

export const legacyItemsJson = JSON.stringify({ items: [legacyItem()] }, null, 2);

export const LIB_ID = 'urn:uuid:4a5e2c1d-0000-4000-8000-000000000001';

/** An OVF item as claas builds it (the docs/vcsp.md example), with optional changes. */
export function claasItem(
  name = 'photon',
  overrides: Partial<Parameters<typeof makeItem>[0]> = {},
): ItemJson {
  return makeItem({
    id: `urn:uuid:9f1c2c1d-0000-4000-8000-${String(name.length).padStart(12, '0')}`,
    name,
    description: '',
    version: 5,
    created: '2026-11-24T19:05:00Z',
    type: 'vcsp.ovf',
    folder: name,
    files: [
      { name: `${name}.ovf`, size: 10822, href: `${name}/${name}.ovf` },
      { name: `${name}-disk1.vmdk`, size: 734003200, href: `${name}/${name}-disk1.vmdk` },
    ],
    generationNum: 1732475100,
    libraryId: LIB_ID,
    ...overrides,
  });
}
