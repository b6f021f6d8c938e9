// Unit tests for src/vcsp/build.ts: the documents claas writes have the docs/vcsp.md shapes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoNow, makeItem, makeLib, newUrn, serializeJson, typeMetadata } from '../../../src/vcsp/build.js';
import { parseItemJson, parseLibJson } from '../../../src/vcsp/schema.js';
import { validateLibrary } from '../../../src/vcsp/validate.js';
import { LIB_ID, claasItem } from './fixtures.js';

function ovfItem(isVappTemplate?: boolean) {
  return claasItem('photon', isVappTemplate === undefined ? {} : { isVappTemplate });
}

describe('newUrn and isoNow', () => {
  it('newUrn is a fresh urn:uuid v4', () => {
    const a = newUrn();
    assert.match(a, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, newUrn());
  });

  it('isoNow is UTC with seconds and no milliseconds', () => {
    assert.equal(isoNow(new Date(Date.UTC(2026, 10, 24, 19, 5, 0, 987))), '2026-11-24T19:05:00Z');
    assert.match(isoNow(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe('makeLib', () => {
  it('writes the vcsp.md lib.json shape in order, every value a string', () => {
    const lib = makeLib({ name: 'templates', id: LIB_ID, version: 7, created: '2026-11-24T19:05:00Z' });
    assert.equal(
      JSON.stringify(lib),
      '{"vcspVersion":"2","version":"7","contentVersion":"1","name":"templates",' +
        `"id":"${LIB_ID}","created":"2026-11-24T19:05:00Z",` +
        '"capabilities":{"transferIn":["httpGet"],"transferOut":["httpGet"]},"itemsHref":"items.json"}',
    );
  });

  it('includes description only when it is not empty', () => {
    const base = { name: 'n', id: LIB_ID, version: 1, created: '2026-11-24T19:05:00Z' };
    assert.equal('description' in makeLib({ ...base, description: '' }), false);
    assert.equal(makeLib({ ...base, description: 'golden images' }).description, 'golden images');
  });
});

describe('typeMetadata', () => {
  it('holds valid JSON with every field vCenter reads', () => {
    const entry = typeMetadata({
      itemId: 'urn:uuid:1',
      itemVersion: 3,
      libraryId: LIB_ID,
      isVappTemplate: true,
    });
    assert.deepEqual(
      { ...entry, value: undefined },
      { key: 'type-metadata', type: 'String', domain: 'SYSTEM', visibility: 'READONLY', value: undefined },
    );
    assert.equal(
      entry.value,
      `{"id":"urn:uuid:1","version":"3","libraryIdParent":"${LIB_ID}","isVappTemplate":"true",` +
        '"vmTemplate":null,"vappTemplate":null,"networks":[],"storagePolicyGroups":null}',
    );
  });
});

describe('makeItem', () => {
  it('writes the vcsp.md item shape in key order', () => {
    const item = ovfItem();
    assert.deepEqual(Object.keys(item), [
      'created',
      'description',
      'version',
      'files',
      'id',
      'name',
      'metadata',
      'properties',
      'selfHref',
      'type',
    ]);
    assert.deepEqual(item.files[0], {
      name: 'photon.ovf',
      size: 10822,
      etag: '5',
      generationNum: 1732475100,
      hrefs: ['photon/photon.ovf'],
    });
    assert.deepEqual(Object.keys(item.files[0] ?? {}), ['name', 'size', 'etag', 'generationNum', 'hrefs']);
    assert.equal(item.version, '5');
    assert.equal(item.selfHref, 'photon/item.json');
    assert.deepEqual(item.properties, {});
  });

  it('gives all files one etag and one integer generationNum', () => {
    const item = ovfItem();
    assert.deepEqual(new Set(item.files.map((f) => f.etag)), new Set(['5']));
    for (const f of item.files) assert.ok(Number.isInteger(f.generationNum));
  });

  it('adds type-metadata to OVF items only, with isVappTemplate', () => {
    const vm = JSON.parse(ovfItem().metadata?.[0]?.value ?? 'null') as Record<string, unknown>;
    assert.equal(vm.isVappTemplate, 'false');
    assert.equal(vm.version, '5');
    assert.equal(vm.id, ovfItem().id);
    assert.equal(vm.libraryIdParent, LIB_ID);
    const vapp = JSON.parse(ovfItem(true).metadata?.[0]?.value ?? 'null') as Record<string, unknown>;
    assert.equal(vapp.isVappTemplate, 'true');
    const iso = makeItem({
      id: 'urn:uuid:2',
      name: 'My ISO',
      description: 'd',
      version: 1,
      created: '2026-11-24T19:05:00Z',
      type: 'vcsp.iso',
      folder: 'My ISO',
      files: [{ name: 'a.iso', size: 1, href: 'My%20ISO/x/a.iso' }],
      generationNum: 1,
      libraryId: LIB_ID,
    });
    assert.equal('metadata' in iso, false);
    assert.equal(iso.selfHref, 'My%20ISO/item.json');
  });

  it('produces documents that parse back unchanged and validate without problems', () => {
    const lib = makeLib({ name: 'templates', id: LIB_ID, version: 7, created: '2026-11-24T19:05:00Z' });
    const item = ovfItem();
    assert.deepEqual(parseLibJson(serializeJson(lib), 'lib.json'), lib);
    assert.deepEqual(parseItemJson(serializeJson(item), 'item.json'), item);
    assert.deepEqual(validateLibrary(lib, [item], new Map([[item.id, item]])), []);
  });
});

describe('serializeJson', () => {
  it('is two-space JSON with a trailing newline', () => {
    assert.equal(serializeJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}\n');
  });
});
