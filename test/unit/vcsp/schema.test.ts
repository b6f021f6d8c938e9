// Unit tests for src/vcsp/schema.ts: real publishers' documents parse, hostile documents do not.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClaasError } from '../../../src/errors.js';
import { makeLib, serializeJson } from '../../../src/vcsp/build.js';
import {
  MAX_JSON_DEPTH,
  parseItemJson,
  parseItemsJson,
  parseLibJson,
  parseSnapshot,
} from '../../../src/vcsp/schema.js';
import type { VersionSnapshot } from '../../../src/vcsp/types.js';
import { LEGACY_LIB_ID, claasItem, legacyItem, legacyItemsJson, legacyLibJson } from './fixtures.js';

/** Asserts a PROTOCOL error naming the input, whose message matches. */
function rejects(fn: () => unknown, message: RegExp, input = 'items.json'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isClaasError(e, 'PROTOCOL'), `expected a PROTOCOL ClaasError, got ${String(e)}`);
    assert.equal(e.input, input);
    assert.ok(e.message.startsWith(`${input}: `), e.message);
    assert.match(e.message, message);
    assert.ok((e.hint ?? '').length > 0);
    return true;
  });
}

function itemsText(items: unknown[]): string {
  return JSON.stringify({ items });
}

function withFile(patch: Record<string, unknown>): string {
  const item = legacyItem();
  const files = item.files as Record<string, unknown>[];
  files[1] = { ...files[1], ...patch };
  return itemsText([item]);
}

describe('parsing what real publishers write', () => {
  it('accepts a make_vcsp_2018.py library as it is', () => {
    const lib = parseLibJson(legacyLibJson, 'lib.json');
    assert.equal(lib.id, LEGACY_LIB_ID);
    assert.equal(lib.created, '2024-03-01T10:15Z');
    assert.equal(lib.version, '3');
    const { items } = parseItemsJson(legacyItemsJson, 'items.json');
    assert.equal(items.length, 1);
    const file = items[0]?.files[0];
    assert.equal(file?.etag, '5d41402abc4b2a76b9719d911017c592');
    assert.equal(file !== undefined && 'generationNum' in file, false);
    assert.equal(items[0] !== undefined && 'metadata' in items[0], false);
  });

  it('accepts a VCSP v1 lib.json with extra fields and ignores them', () => {
    const lib = parseLibJson(
      JSON.stringify({
        vcspVersion: '1',
        version: 4,
        contentVersion: 1,
        name: 'old',
        id: 'urn:uuid:x',
        created: '2014-01-01T00:00:00Z',
        capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'], generateIds: true },
        itemsHref: 'items.json',
        itemType: 'vcsp.CatalogItem',
        metadata: [{ key: 'a', value: 'b' }],
        maintenanceMessage: '',
      }),
      'lib.json',
    );
    assert.deepEqual(lib, {
      vcspVersion: '1',
      version: '4',
      contentVersion: '1',
      name: 'old',
      id: 'urn:uuid:x',
      created: '2014-01-01T00:00:00Z',
      capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
      itemsHref: 'items.json',
    });
  });

  it('normalises versions, sizes and optional fields', () => {
    const item = legacyItem();
    delete item.description;
    delete item.properties;
    item.version = 7;
    const files = item.files as Record<string, unknown>[];
    files[0] = { ...files[0], size: '123', generationNum: '17', etag: 5 };
    const parsed = parseItemJson(JSON.stringify(item), 'photon/item.json');
    assert.equal(parsed.version, '7');
    assert.equal(parsed.description, '');
    assert.deepEqual(parsed.properties, {});
    assert.deepEqual(parsed.files[0], {
      name: 'photon.ovf',
      size: 123,
      etag: '5',
      generationNum: 17,
      hrefs: ['photon/photon.ovf'],
    });
    assert.equal(parseItemJson(JSON.stringify({ ...item, version: '007' }), 'x').version, '7');
  });

  it('keeps type-metadata, drops other metadata entries', () => {
    const item = {
      ...legacyItem(),
      metadata: [
        { key: 'other', value: { x: 1 } },
        { key: 'type-metadata', type: 'String', domain: 'SYSTEM', visibility: 'READONLY', value: '{}' },
      ],
    };
    assert.deepEqual(parseItemJson(JSON.stringify(item), 'x').metadata, [
      { key: 'type-metadata', type: 'String', domain: 'SYSTEM', visibility: 'READONLY', value: '{}' },
    ]);
  });

  it('accepts a UTF-8 byte order mark and unencoded spaces in hrefs', () => {
    const item = { ...legacyItem(), selfHref: 'My Template/item.json' };
    assert.equal(parseItemJson('\ufeff' + JSON.stringify(item), 'x').selfHref, 'My Template/item.json');
  });

  it('round-trips what claas builds and returns plain objects', () => {
    const lib = makeLib({ name: 'l', id: LEGACY_LIB_ID, version: 2, created: '2026-01-01T00:00:00Z' });
    const item = claasItem('n', { description: 'd' });
    const parsed = parseItemsJson(serializeJson({ items: [item] }), 'items.json');
    assert.deepEqual(parsed, { items: [item] });
    assert.equal(Object.getPrototypeOf(parsed.items[0]), Object.prototype);
    assert.equal(Object.getPrototypeOf(parsed.items[0]?.properties), Object.prototype);
    assert.deepEqual(parseLibJson(serializeJson(lib), 'lib.json'), lib);
  });
});

describe('rejecting hostile documents', () => {
  it('names the input and the JSON error position', () => {
    rejects(
      () => parseLibJson('{"a":}', 'lib.json'),
      /invalid JSON at line 1, column 6 \(offset 5\)/,
      'lib.json',
    );
    rejects(() => parseLibJson('{\n  "a": 1,\n  x\n}', 'lib.json'), /line 3, column 3/, 'lib.json');
    rejects(
      () => parseLibJson('{"a": 1', 'lib.json'),
      /offset 7\): unexpected the end of the text/,
      'lib.json',
    );
    rejects(() => parseLibJson('{"a": 1}}', 'lib.json'), /offset 8/, 'lib.json');
    rejects(() => parseLibJson('[1,]', 'lib.json'), /offset 3/, 'lib.json');
    rejects(() => parseLibJson('', 'lib.json'), /invalid JSON at line 1, column 1/, 'lib.json');
    rejects(() => parseLibJson('"\u0001"', 'lib.json'), /offset 0/, 'lib.json');
  });

  it('rejects wrong types with a field path', () => {
    rejects(() => parseItemsJson('[]', 'items.json'), /\(top level\): /);
    rejects(() => parseItemsJson('{"items": {}}', 'items.json'), /^items\.json: items: /);
    rejects(() => parseItemsJson(withFile({ size: true }), 'items.json'), /items\[0\]\.files\[1\]\.size: /);
    rejects(() => parseItemsJson(withFile({ hrefs: 'x' }), 'items.json'), /items\[0\]\.files\[1\]\.hrefs: /);
    rejects(
      () => parseItemsJson(withFile({ name: undefined }), 'items.json'),
      /files\[1\]\.name: is missing/,
    );
    rejects(
      () => parseItemsJson(itemsText([{ ...legacyItem(), name: 5 }]), 'items.json'),
      /items\[0\]\.name: /,
    );
    rejects(
      () => parseItemsJson(itemsText([{ ...legacyItem(), type: 'vcsp.vmtx' }]), 'items.json'),
      /items\[0\]\.type: unknown item type/,
    );
    rejects(
      () => parseItemsJson(itemsText([{ ...legacyItem(), properties: { a: 1 } }]), 'items.json'),
      /items\[0\]\.properties\.a: /,
    );
  });

  it('rejects negative, fractional and oversized versions', () => {
    for (const version of [-1, '-1', 1.5, '1.5', '1e3', '', ' 1', 2 ** 60, '99999999999999999999', null]) {
      rejects(
        () => parseItemsJson(itemsText([{ ...legacyItem(), version }]), 'items.json'),
        /items\[0\]\.version: /,
      );
    }
  });

  it('rejects absurd sizes', () => {
    rejects(
      () => parseItemsJson(withFile({ size: 2 ** 53 + 2 }), 'items.json'),
      /files\[1\]\.size: absurd size/,
    );
    rejects(() => parseItemsJson(withFile({ size: 65 * 2 ** 40 }), 'items.json'), /absurd size/);
    rejects(() => parseItemsJson(withFile({ size: '99999999999999999999999' }), 'items.json'), /absurd size/);
    rejects(
      () => parseItemsJson(withFile({ size: -1 }), 'items.json'),
      /size: must be a non-negative integer/,
    );
    rejects(
      () => parseItemsJson(withFile({ size: 1.5 }), 'items.json'),
      /size: must be a non-negative integer/,
    );
    assert.equal(
      parseItemsJson(withFile({ size: 64 * 2 ** 40 }), 'items.json').items[0]?.files[1]?.size,
      64 * 2 ** 40,
    );
  });

  it('rejects prototype keys anywhere and leaves Object.prototype alone', () => {
    const cases: [string, RegExp][] = [
      [`{"__proto__": {"polluted": true}, "items": []}`, /^items\.json: __proto__: forbidden key/],
      [
        itemsText([{ ...legacyItem(), constructor: { prototype: { polluted: true } } }]),
        /items\[0\]\.constructor/,
      ],
      [
        itemsText([legacyItem()]).replace('"properties":{}', '"properties":{"__proto__":{"polluted":"yes"}}'),
        /items\[0\]\.properties\.__proto__: forbidden key/,
      ],
      [withFile({ prototype: 1 }), /files\[1\]\.prototype: forbidden key/],
    ];
    for (const [text, message] of cases) rejects(() => parseItemsJson(text, 'items.json'), message);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('rejects more than 100,000 items and more than 10,000 files in one item', () => {
    const file = { name: 'a', size: 1, etag: '1', generationNum: 1, hrefs: ['a/a'] };
    const item = { ...legacyItem(), files: [file] };
    const many = JSON.stringify({ items: new Array<unknown>(100_001).fill(item) });
    rejects(() => parseItemsJson(many, 'items.json'), /^items\.json: items: more than 100000 items/);
    const manyFiles = JSON.stringify({ ...legacyItem(), files: new Array<unknown>(10_001).fill(file) });
    rejects(() => parseItemJson(manyFiles, 'item.json'), /files: more than 10000 files/, 'item.json');
  });

  it('rejects strings longer than 64 KiB, also in fields it ignores', () => {
    const huge = 'x'.repeat(64 * 1024 + 1);
    rejects(
      () => parseItemsJson(itemsText([{ ...legacyItem(), description: huge }]), 'items.json'),
      /items\[0\]\.description: string of 65537 characters is longer than 64 KiB/,
    );
    rejects(() => parseLibJson(JSON.stringify({ junk: [huge] }), 'lib.json'), /junk\[0\]: /, 'lib.json');
  });

  it('refuses JSON nested deeper than the limit, naming the document, before parsing it', () => {
    const lib = JSON.parse(legacyLibJson) as Record<string, unknown>;
    const nested = (depth: number, open = '[', close = ']') =>
      legacyLibJson.replace(/}\s*$/, `, "junk": ${open.repeat(depth)}${close.repeat(depth)}}`);
    // Deep enough to be hostile, small enough for the unchecked code to accept it in a blink.
    for (const text of [nested(2_000), nested(2_000, '{"a":', '}'), nested(MAX_JSON_DEPTH)]) {
      rejects(
        () => parseLibJson(text, 'https://evil.example/lib.json'),
        new RegExp(`JSON nested more than ${MAX_JSON_DEPTH} levels deep \\(at line \\d+, column \\d+\\)`),
        'https://evil.example/lib.json',
      );
    }
    // At the limit (the document's own object counts as one level) it parses.
    assert.equal(parseLibJson(nested(MAX_JSON_DEPTH - 1), 'lib.json').id, lib.id);
    // Brackets inside strings do not count.
    const quoted = JSON.stringify({ ...lib, description: '['.repeat(10_000) });
    assert.equal(parseLibJson(quoted, 'lib.json').id, lib.id);
    const escaped = JSON.stringify({ ...lib, description: `\\"${'{'.repeat(100)}` });
    assert.equal(parseLibJson(escaped, 'lib.json').id, lib.id);
  });

  it('refuses a deep document without handing it to JSON.parse (a one-pass bracket count)', () => {
    const parse = JSON.parse;
    let calls = 0;
    JSON.parse = (): unknown => {
      calls++;
      throw new SyntaxError('this test refuses to parse');
    };
    try {
      const deep = `{"items": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
      rejects(() => parseItemsJson(deep, 'items.json'), /nested more than 64 levels deep/);
      rejects(() => parseSnapshot(deep, '.claas/versions/1.json'), /nested/, '.claas/versions/1.json');
      assert.equal(calls, 0, 'JSON.parse never saw the hostile text');
    } finally {
      JSON.parse = parse;
    }
  });

  it('reports the path of a problem deep inside a document (built only for the error)', () => {
    const doc = { items: [{ ...legacyItem(), properties: { a: { b: [1, 2, { constructor: 1 }] } } }] };
    rejects(
      () => parseItemsJson(JSON.stringify(doc), 'items.json'),
      /items\[0\]\.properties\.a\.b\[2\]\.constructor: forbidden key/,
    );
  });

  it('rejects unsafe hrefs wherever they are', () => {
    rejects(
      () => parseItemsJson(withFile({ hrefs: ['../../etc/passwd'] }), 'items.json'),
      /hrefs\[0\]: unsafe href/,
    );
    rejects(
      () => parseItemsJson(withFile({ hrefs: [] }), 'items.json'),
      /hrefs: must list at least one href/,
    );
    rejects(
      () =>
        parseItemsJson(itemsText([{ ...legacyItem(), selfHref: 'a/%252e%252e/item.json' }]), 'items.json'),
      /items\[0\]\.selfHref: unsafe href/,
    );
    const lib = JSON.parse(legacyLibJson) as Record<string, unknown>;
    rejects(
      () => parseLibJson(JSON.stringify({ ...lib, itemsHref: 'http://evil/items.json' }), 'lib.json'),
      /itemsHref: unsafe href: is an absolute URL/,
      'lib.json',
    );
  });
});

describe('parseSnapshot', () => {
  const lib = makeLib({ name: 'l', id: LEGACY_LIB_ID, version: 1, created: '2026-01-01T00:00:00Z' });
  const snapshot: VersionSnapshot = {
    format: 'claas.version/1',
    lib,
    items: [],
    hashes: { 'photon/photon.ovf': 'a'.repeat(64) },
    committedAt: '2026-01-01T00:00:00Z',
    publisher: 'host-1',
  };

  it('parses what claas writes', () => {
    assert.deepEqual(parseSnapshot(serializeJson(snapshot), 's.json'), snapshot);
  });

  it('rejects a wrong format, bad hashes and unsafe hash keys', () => {
    const bad = (patch: Record<string, unknown>) => JSON.stringify({ ...snapshot, ...patch });
    rejects(() => parseSnapshot(bad({ format: 'claas.version/2' }), 's.json'), /format: /, 's.json');
    rejects(
      () => parseSnapshot(bad({ hashes: { 'a/b': 'A'.repeat(64) } }), 's.json'),
      /hashes\["a\/b"\]: must be 64 lowercase hex/,
      's.json',
    );
    rejects(
      () => parseSnapshot(bad({ hashes: { 'a/b': 'a'.repeat(63) } }), 's.json'),
      /64 lowercase/,
      's.json',
    );
    rejects(
      () => parseSnapshot(bad({ hashes: { '../x': 'a'.repeat(64) } }), 's.json'),
      /hashes\["\.\.\/x"\]: unsafe href/,
      's.json',
    );
  });
});
