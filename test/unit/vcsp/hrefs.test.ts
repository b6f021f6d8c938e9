// Unit tests for src/vcsp/hrefs.ts: hostile hrefs are rejected, safe names round-trip.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClaasError } from '../../../src/errors.js';
import {
  assertSafeItemName,
  decodeHref,
  encodeHref,
  hrefToKey,
  isSafeSegment,
  resolveItemsHref,
} from '../../../src/vcsp/hrefs.js';

const HOSTILE_HREFS = [
  '../x',
  '..',
  '.',
  'a/../b',
  'a/%2e%2e/b',
  'a/%2E%2e/b',
  '%2e%2e/x',
  '%2e/x',
  '%252e%252e/x',
  'a/%252E%252E/b',
  'a/%252fb',
  'a%2fb',
  'a%2Fb/c',
  'a%5cb',
  'a/%255c/b',
  'http://evil/x',
  'HTTPS://evil/x',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'c:/windows/x',
  'x:y',
  '//evil/x',
  '/etc/passwd',
  'a\\b',
  '..\\x',
  'a/./b',
  'a//b',
  'a/',
  '',
  'a?b',
  'a#b',
  'items.json?x=1',
  'a\u0000b',
  'a/%00/b',
  'a%0a',
  'a\nb',
  'a\u007fb',
  '%',
  'a%zz',
  '%c3%28',
  '%ed%a0%80',
  '%20a',
  'a%20',
  'a'.repeat(5000),
  `${'x'.repeat(256)}/y`,
];

function assertProtocolError(fn: () => unknown, label: string): void {
  assert.throws(fn, (e: unknown) => isClaasError(e, 'PROTOCOL') && e.input === 'lib.json', label);
}

describe('decodeHref', () => {
  for (const href of HOSTILE_HREFS) {
    it(`rejects ${JSON.stringify(href.slice(0, 40))}`, () => {
      assertProtocolError(() => decodeHref(href, 'lib.json'), href);
    });
  }

  it('names the input and the href in the error and gives a hint', () => {
    try {
      decodeHref('a/%2e%2e/b', 'photon/item.json');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isClaasError(e, 'PROTOCOL'));
      assert.match(e.message, /^photon\/item\.json: unsafe href "a\/%2e%2e\/b": segment "%2e%2e" is "\.\."/);
      assert.ok(e.hint !== undefined && e.hint.length > 0);
    }
  });

  it('accepts plain relative hrefs and decodes each segment once', () => {
    assert.deepEqual(decodeHref('items.json', 'x'), ['items.json']);
    assert.deepEqual(decodeHref('photon/photon-disk1.vmdk', 'x'), ['photon', 'photon-disk1.vmdk']);
    assert.deepEqual(decodeHref('My%20Item/a%2520b.iso', 'x'), ['My Item', 'a%20b.iso']);
    assert.deepEqual(decodeHref('a/b:c/...', 'x'), ['a', 'b:c', '...']);
    assert.deepEqual(decodeHref('%C3%A9t%C3%A9/x', 'x'), ['été', 'x']);
  });
});

describe('encodeHref / decodeHref round trip', () => {
  const names = [
    ['photon', 'photon.ovf'],
    ['My Template', 'disk 1.vmdk'],
    ['été', '日本語.iso'],
    ['100%', 'a%b.txt'],
    ['a#b', 'c?d'],
    ['plus+sign', 'semi;colon&amp=x'],
    ['emoji 😀', 'quote\'s "x"'],
    ['c:', 'colon:name'],
    ['...', '.hidden'],
  ];
  for (const segments of names) {
    it(`round-trips ${JSON.stringify(segments)}`, () => {
      const href = encodeHref(segments);
      assert.doesNotMatch(href, /[?#\\]/);
      assert.deepEqual(decodeHref(href, 'x'), segments);
      assert.equal(hrefToKey(href, 'x'), segments.join('/'));
    });
  }

  it('encodes each segment with encodeURIComponent', () => {
    assert.equal(encodeHref(['My Item', 'a#b.iso']), 'My%20Item/a%23b.iso');
  });

  it('throws BAD_INPUT on unsafe segments', () => {
    for (const bad of [[], [''], ['..'], ['a/b'], ['a\\b'], ['a\u0001'], [' lead'], ['x%2e']]) {
      assert.throws(
        () => encodeHref(bad),
        (e: unknown) => isClaasError(e, 'BAD_INPUT'),
        JSON.stringify(bad),
      );
    }
  });
});

describe('isSafeSegment', () => {
  it('follows the rules', () => {
    const safe = ['a', 'photon.ovf', 'My Template', 'x'.repeat(255), 'é'.repeat(127), '...', '.claasx'];
    const unsafe = [
      '',
      '.',
      '..',
      'a/b',
      'a\\b',
      'a\u0000',
      'a\u001f',
      'a\u007f',
      ' a',
      'a ',
      '\ta',
      'x'.repeat(256),
      'é'.repeat(128),
      '\ud800',
    ];
    for (const name of safe) assert.equal(isSafeSegment(name), true, JSON.stringify(name));
    for (const name of unsafe) assert.equal(isSafeSegment(name), false, JSON.stringify(name));
  });
});

describe('assertSafeItemName', () => {
  it('accepts up to 80 characters, counted as characters not bytes', () => {
    assertSafeItemName('x'.repeat(80), 'src');
    assertSafeItemName('é'.repeat(80), 'src');
  });

  it('throws BAD_INPUT with the input and a rename hint', () => {
    for (const bad of ['x'.repeat(81), '..', 'a/b', '']) {
      assert.throws(
        () => assertSafeItemName(bad, '/templates/a'),
        (e: unknown) =>
          isClaasError(e, 'BAD_INPUT') && e.input === '/templates/a' && /Rename/.test(e.hint ?? ''),
      );
    }
  });
});

describe('resolveItemsHref', () => {
  it('replaces the last segment of the lib.json URL', () => {
    assert.equal(
      resolveItemsHref('https://h.example/cls/vcsp/lib/abc/lib.json', 'items.json'),
      'https://h.example/cls/vcsp/lib/abc/items.json',
    );
    assert.equal(
      resolveItemsHref('https://h.example/lib/lib.json?sig=1', 'My%20Item/item.json'),
      'https://h.example/lib/My%20Item/item.json',
    );
    assert.equal(resolveItemsHref('http://h/lib.json', 'a/b.iso'), 'http://h/a/b.iso');
  });

  it('rejects unsafe hrefs without leaking credentials or query into the error', () => {
    assert.throws(
      () => resolveItemsHref('https://user:secret@h.example/lib.json?token=s3cret', '../x'),
      (e: unknown) =>
        isClaasError(e, 'PROTOCOL') &&
        !/secret|s3cret/.test(e.message) &&
        e.input === 'https://h.example/lib.json',
    );
    assert.throws(
      () => resolveItemsHref('https://h/lib.json', '//evil/x'),
      (e: unknown) => isClaasError(e),
    );
  });

  it('rejects an invalid lib.json URL', () => {
    assert.throws(
      () => resolveItemsHref('not a url', 'items.json'),
      (e: unknown) => isClaasError(e, 'BAD_INPUT'),
    );
  });
});
