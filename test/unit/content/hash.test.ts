// Tests for src/content/hash.ts: whole files and byte ranges hash exactly like node:crypto.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashFileWith, sha256Bytes, sha256File } from '../../../src/content/hash.js';
import { assertClaasError, random, sha, tempDir } from './fixtures.js';

describe('sha256File', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: string;
  // Larger than two read chunks (1 MiB) and not a multiple of anything.
  const data = random(2 * 1024 * 1024 + 777_777);

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    file = join(dir, 'data.bin');
    await writeFile(file, data);
  });
  after(() => cleanup());

  it('hashes a whole file like node:crypto', async () => {
    assert.equal(await sha256File(file), sha('sha256', data));
  });

  it('hashes byte ranges like node:crypto', async () => {
    const ranges: [number, number][] = [
      [0, 0],
      [0, 1],
      [1, 511],
      [1024 * 1024 - 3, 7],
      [12_345, 1024 * 1024 + 1],
      [100, 2 * 1024 * 1024 + 5],
      [data.length - 10, 10],
    ];
    for (const [offset, length] of ranges) {
      const expected = sha('sha256', data.subarray(offset, offset + length));
      assert.equal(await sha256File(file, { offset, length }), expected, `range ${offset}+${length}`);
    }
    assert.equal(await sha256File(file, { offset: 5000 }), sha('sha256', data.subarray(5000)));
  });

  it('rejects a range that runs past the end of the file, naming it', async () => {
    await assertClaasError(
      () => sha256File(file, { offset: data.length - 5, length: 10 }),
      'BAD_INPUT',
      file,
    );
  });

  it('reports progress up to the length and stops on abort', async () => {
    const seen: number[] = [];
    await sha256File(file, { onProgress: (n) => seen.push(n) });
    assert.equal(seen.at(-1), data.length);
    assert.ok(seen.every((n, i) => i === 0 || n > seen[i - 1]!));
    const ctrl = new AbortController();
    ctrl.abort();
    await assert.rejects(sha256File(file, { signal: ctrl.signal }), { name: 'AbortError' });
  });

  it('computes SHA-1 and SHA-512 with the same loop', async () => {
    assert.equal(await hashFileWith('sha1', file), sha('sha1', data));
    assert.equal(
      await hashFileWith('sha512', file, { offset: 3, length: 70_000 }),
      sha('sha512', data.subarray(3, 70_003)),
    );
  });
});

describe('sha256Bytes', () => {
  it('matches the FIPS 180-2 test vector', () => {
    assert.equal(
      sha256Bytes(Buffer.from('abc')),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
