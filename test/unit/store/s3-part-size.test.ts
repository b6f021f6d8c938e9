// choosePartSize: parts of at least 8 MiB in whole MiB, never more than 10,000 of them, up to S3's 5 TiB.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GiB,
  MAX_PARTS,
  MAX_S3_PART_SIZE,
  MiB,
  choosePartSize,
  partCount,
} from '../../../src/store/s3-part-size.js';
import { isClaasError } from '../../../src/errors.js';

function assertFits(size: number): number {
  const part = choosePartSize(size);
  assert.ok(part >= 8 * MiB, `part ${part} for ${size} is below 8 MiB`);
  assert.ok(part <= MAX_S3_PART_SIZE, `part ${part} for ${size} is above 5 GiB`);
  assert.equal(part % MiB, 0, `part ${part} for ${size} is not a whole MiB`);
  assert.ok(partCount(size, part) <= MAX_PARTS, `${size} needs ${partCount(size, part)} parts of ${part}`);
  return part;
}

test('small and medium objects use the 8 MiB minimum', () => {
  for (const size of [0, 1, 5 * MiB, 64 * MiB, 8 * MiB * MAX_PARTS]) assert.equal(assertFits(size), 8 * MiB);
});

test('one byte over 10,000 minimum parts grows the part by a MiB', () => {
  assert.equal(assertFits(8 * MiB * MAX_PARTS + 1), 9 * MiB);
});

test('a 200 GiB file fits in 10,000 parts of 21 MiB', () => {
  const part = assertFits(200 * GiB);
  assert.equal(part, 21 * MiB);
  assert.equal(partCount(200 * GiB, part), 9753);
});

test('files past 48.8 GiB (the 5 MiB-part limit) and up to 5 TiB all fit', () => {
  for (const size of [49 * GiB, 100 * GiB, 1024 * GiB, 5 * 1024 * GiB - 1, 5 * 1024 * GiB]) assertFits(size);
});

test('a custom minimum part size is honoured and still keeps parts ≤ 10,000', () => {
  assert.equal(choosePartSize(40 * MiB, 5 * MiB), 5 * MiB);
  assert.equal(partCount(40 * MiB, 5 * MiB), 8);
  const part = choosePartSize(100 * GiB, 5 * MiB);
  assert.ok(partCount(100 * GiB, part) <= MAX_PARTS);
});

test('objects over 5 TiB and nonsense sizes are BAD_INPUT', () => {
  for (const size of [5 * 1024 * GiB + 1, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => choosePartSize(size),
      (e: unknown) => isClaasError(e, 'BAD_INPUT'),
    );
  }
});

test('partCount: an empty object is one part', () => {
  assert.equal(partCount(0, 8 * MiB), 1);
  assert.equal(partCount(8 * MiB, 8 * MiB), 1);
  assert.equal(partCount(8 * MiB + 1, 8 * MiB), 2);
});
