// Unit tests for src/vcsp/validate.ts: the problems `claas verify` reports about a library.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeLib } from '../../../src/vcsp/build.js';
import { parseItemsJson, parseLibJson } from '../../../src/vcsp/schema.js';
import type { ItemJson } from '../../../src/vcsp/types.js';
import { hasErrors, validateLibrary, type Problem } from '../../../src/vcsp/validate.js';
import { LIB_ID, claasItem, legacyItemsJson, legacyLibJson } from './fixtures.js';

const lib = makeLib({ name: 'templates', id: LIB_ID, version: 7, created: '2026-11-24T19:05:00Z' });
const item = claasItem;

/** A deep copy whose files can be edited freely. */
function edited(source: ItemJson, edit: (i: Record<string, unknown> & ItemJson) => void): ItemJson {
  const copy = structuredClone(source) as Record<string, unknown> & ItemJson;
  edit(copy);
  return copy;
}

function only(problems: Problem[], severity: Problem['severity']): Problem[] {
  return problems.filter((p) => p.severity === severity);
}

function assertOneError(
  problems: Problem[],
  where: string,
  field: string | undefined,
  message: RegExp,
): void {
  const errors = only(problems, 'error');
  assert.equal(errors.length, 1, JSON.stringify(problems, null, 1));
  assert.equal(errors[0]?.where, where);
  assert.equal(errors[0]?.field, field);
  assert.match(errors[0]?.message ?? '', message);
}

describe('validateLibrary', () => {
  it('finds nothing wrong with what claas builds', () => {
    const items = [item('photon'), item('ubuntu-24.04')];
    assert.deepEqual(validateLibrary(lib, items, new Map(items.map((i) => [i.id, i]))), []);
    assert.equal(hasErrors([]), false);
  });

  it('reports a make_vcsp_2018.py library: its quirks are warnings naming the consequence and the fix', () => {
    const legacyLib = parseLibJson(legacyLibJson, 'lib.json');
    const { items } = parseItemsJson(legacyItemsJson, 'items.json');
    const problems = validateLibrary(legacyLib, items);
    assert.equal(hasErrors(problems), false, JSON.stringify(problems, null, 1));
    const warnings = only(problems, 'warning');
    assert.deepEqual(warnings.map((p) => `${p.where} ${p.field}`).sort(), [
      'items.json: item "photon" created',
      'items.json: item "photon" files',
      'items.json: item "photon" metadata',
      'lib.json created',
    ]);
    assert.match(warnings[0]?.message ?? '', /minute precision/);
    const files = warnings.find((p) => p.field === 'files');
    assert.match(
      files?.message ?? '',
      /^its 2 files have no generationNum, so vCenter parses the etag as a number/,
    );
    assert.match(files?.message ?? '', /"5d41402abc4b2a76b9719d911017c592" is not one/);
    assert.match(files?.message ?? '', /may not notice later changes to this item/);
    assert.match(files?.message ?? '', /claas publish <folder> --to <this library> --adopt/);
  });

  it('reports a make_vcsp_2018.py S3-mode item (an ETag per object, generationNum) as warnings', () => {
    const s3Mode = edited(item(), (i) => {
      i.files.forEach((f, n) => {
        f.etag = n === 0 ? '5d41402abc4b2a76b9719d911017c592' : '9b2cf535f27731c974343645a3985328-3';
        f.generationNum = 1732475100 + n;
      });
    });
    const problems = validateLibrary(lib, [s3Mode]);
    assert.equal(hasErrors(problems), false, JSON.stringify(problems, null, 1));
    assert.deepEqual(
      problems.map((p) => p.field),
      ['files', 'files'],
    );
    assert.match(
      problems[0]?.message ?? '',
      /has 2 different etags .*noticed through each file's generationNum/,
    );
    assert.match(problems[0]?.message ?? '', /--adopt/);
    assert.match(problems[1]?.message ?? '', /^1 of its 2 files has an MD5 hash as etag/);
  });

  it('warns about MD5 etags when generationNum is present, once per item', () => {
    const md5 = edited(item(), (i) => {
      for (const f of i.files) f.etag = '5d41402abc4b2a76b9719d911017c592';
    });
    const problems = validateLibrary(lib, [md5]);
    assert.equal(hasErrors(problems), false);
    assert.equal(only(problems, 'warning').length, 1);
    assert.match(problems[0]?.message ?? '', /MD5/);
  });

  it('warns about integer etags without generationNum, without calling them non-numeric', () => {
    const noGeneration = edited(item(), (i) => {
      for (const f of i.files) delete (f as Partial<typeof f>).generationNum;
    });
    const problems = validateLibrary(lib, [noGeneration]);
    assert.equal(hasErrors(problems), false);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]?.message ?? '',
      /^its 2 files have no generationNum, so vCenter parses the etag as a number: /,
    );
  });

  it('checks the lib.json', () => {
    const where = 'lib.json';
    assertOneError(validateLibrary({ ...lib, vcspVersion: '3' }, []), where, 'vcspVersion', /not "2"/);
    const v1 = validateLibrary({ ...lib, vcspVersion: '1' }, []);
    assert.deepEqual(
      v1.map((p) => p.severity),
      ['warning'],
    );
    assertOneError(
      validateLibrary({ ...lib, version: '1.5' }, []),
      where,
      'version',
      /not a non-negative integer/,
    );
    assertOneError(
      validateLibrary({ ...lib, itemsHref: '../items.json' }, []),
      where,
      'itemsHref',
      /unsafe href/,
    );
    const notUrn = validateLibrary({ ...lib, id: 'library-1' }, []);
    assert.deepEqual(
      notUrn.map((p) => [p.severity, p.field]),
      [['warning', 'id']],
    );
  });

  const where = 'items.json: item "photon"';
  type Edit = (i: Record<string, unknown> & ItemJson) => void;
  const file = (i: ItemJson, index: number): ItemJson['files'][number] => {
    const found = i.files[index];
    assert.ok(found);
    return found;
  };
  const typeMetadataValue =
    (value: string): Edit =>
    (i) => {
      const entry = i.metadata?.[0];
      assert.ok(entry);
      entry.value = value;
    };
  const cases: [string, Edit, string | undefined, RegExp, ItemJson?][] = [
    ['a missing etag', (i) => delete (file(i, 0) as { etag?: string }).etag, 'files[0].etag', /is missing/],
    [
      'a fractional generationNum',
      (i) => (file(i, 0).generationNum = 1.5),
      'files[0].generationNum',
      /1\.5 is not an integer/,
    ],
    [
      'duplicate file names',
      (i) => (file(i, 1).name = 'photon.ovf'),
      'files[1].name',
      /duplicate file name/,
      item('photon', { type: 'vcsp.other' }),
    ],
    [
      'an unsafe file href',
      (i) => (file(i, 1).hrefs = ['photon/%2e%2e/%2e%2e/x']),
      'files[1].hrefs[0]',
      /unsafe href/,
    ],
    ['an unsafe selfHref', (i) => (i.selfHref = '/photon/item.json'), 'selfHref', /unsafe href/],
    [
      'an OVF item without a descriptor',
      (i) => (file(i, 0).name = 'photon.txt'),
      'files',
      /exactly one \.ovf file, found 0/,
    ],
    ['an OVF item with two descriptors', (i) => (file(i, 1).name = 'other.OVF'), 'files', /found 2/],
    ['type-metadata that is not JSON', typeMetadataValue('{"id":'), 'metadata', /not valid JSON/],
    [
      'type-metadata without version and isVappTemplate',
      typeMetadataValue('{"id":"x"}'),
      'metadata',
      /lacks version, isVappTemplate/,
    ],
    ['a non-integer item version', (i) => (i.version = 'v5'), 'version', /not a non-negative integer/],
    ['an unknown item type', (i) => (i.type = 'vcsp.vmtx' as ItemJson['type']), 'type', /unknown item type/],
  ];
  for (const [label, edit, field, message, base] of cases) {
    it(`reports ${label}`, () => {
      assertOneError(validateLibrary(lib, [edited(base ?? item(), edit)]), where, field, message);
    });
  }

  it('reports names longer than 80 characters', () => {
    const long = { ...item(), name: 'x'.repeat(81) };
    assertOneError(validateLibrary(lib, [long]), `items.json: item "${long.name}"`, 'name', /81 characters/);
  });

  it('reports duplicate item ids and names', () => {
    const a = item('photon');
    const sameId = { ...item('ubuntu'), id: a.id };
    assertOneError(validateLibrary(lib, [a, sameId]), 'items.json: item "ubuntu"', 'id', /duplicate item id/);
    const sameName = { ...a, id: 'urn:uuid:5e4f3c1d-0000-4000-8000-000000000009' };
    assertOneError(validateLibrary(lib, [a, sameName]), where, 'name', /duplicate item name/);
  });

  it('compares item.json with its items.json entry, ignoring key order', () => {
    const entry = item();
    const reordered = Object.fromEntries(Object.entries(entry).reverse()) as unknown as ItemJson;
    assert.deepEqual(validateLibrary(lib, [entry], new Map([[entry.id, reordered]])), []);
    const newer = { ...entry, version: '6', description: 'x' };
    assertOneError(
      validateLibrary(lib, [entry], new Map([[entry.id, newer]])),
      'photon/item.json',
      undefined,
      /differs from its items\.json entry in: description, version/,
    );
  });
});
