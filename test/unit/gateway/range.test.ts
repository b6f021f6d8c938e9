// Range header parsing: single ranges, suffix ranges, open ends, unsatisfiable and ignored forms.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from '../../../src/gateway/range.js';

test('parseRange', () => {
  const size = 100;
  const table: Array<[string | undefined, ReturnType<typeof parseRange>]> = [
    [undefined, { kind: 'full' }],
    ['bytes=0-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-1000', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1000', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=99-99', { kind: 'partial', start: 99, end: 99 }],
    [' bytes = 5-6', { kind: 'partial', start: 5, end: 6 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=200-300', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', { kind: 'full' }],
    ['bytes=9-0', { kind: 'full' }],
    ['bytes=x-y', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['garbage', { kind: 'full' }],
  ];
  for (const [header, want] of table) assert.deepEqual(parseRange(header, size), want, String(header));
  assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=-5', 0), { kind: 'unsatisfiable' });
});
