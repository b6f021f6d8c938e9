// Tests for src/content/manifest.ts: the .mf line formats, errors with line numbers, digest checks.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseManifest, verifyManifestEntry } from '../../../src/content/manifest.js';
import type { SourceFile } from '../../../src/content/types.js';
import { assertClaasError, random, sha, tempDir } from './fixtures.js';

const INPUT = '/src/photon/photon.mf';
const H256 = 'AB'.repeat(32);

describe('parseManifest', () => {
  it('reads SHA256, SHA1 and SHA512 lines with any spacing and CRLF', () => {
    const text = [
      `SHA256(photon.ovf)= ${H256}`,
      `SHA1(disk 1.vmdk)=${'0'.repeat(40)}`,
      `SHA512(disk2.vmdk) = ${'f'.repeat(128)}`,
      '',
    ].join('\r\n');
    const m = parseManifest(`\ufeff${text}`, INPUT);
    assert.deepEqual(
      [...m.entries()],
      [
        ['photon.ovf', { algo: 'SHA256', hex: H256.toLowerCase() }],
        ['disk 1.vmdk', { algo: 'SHA1', hex: '0'.repeat(40) }],
        ['disk2.vmdk', { algo: 'SHA512', hex: 'f'.repeat(128) }],
      ],
    );
  });

  it('rejects malformed lines with their line number', async () => {
    const text = `SHA256(a.ovf)= ${H256}\nMD5(a.vmdk)= abc\n`;
    await assertClaasError(() => parseManifest(text, INPUT), 'BAD_INPUT', INPUT, /line 2/);
    await assertClaasError(() => parseManifest(`SHA256(a.ovf) ${H256}`, INPUT), 'BAD_INPUT', INPUT, /line 1/);
  });

  it('rejects digests of the wrong length, duplicates and unsafe names', async () => {
    await assertClaasError(
      () => parseManifest(`SHA256(a.ovf)= ${'a'.repeat(40)}`, INPUT),
      'BAD_INPUT',
      INPUT,
      /64/,
    );
    await assertClaasError(
      () => parseManifest(`SHA256(a.ovf)= ${H256}\nSHA256(a.ovf)= ${H256}`, INPUT),
      'BAD_INPUT',
      INPUT,
      /line 2/,
    );
    await assertClaasError(
      () => parseManifest(`SHA256(../a.ovf)= ${H256}`, INPUT),
      'BAD_INPUT',
      INPUT,
      /plain/,
    );
  });
});

describe('verifyManifestEntry', () => {
  it('checks SHA-256 from the content hash and SHA-1/SHA-512 from the bytes of a range', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const data = random(10_000);
      const path = join(dir, 'x.ova');
      await writeFile(path, data);
      const member = data.subarray(1000, 4000);
      const file: SourceFile = {
        name: 'disk.vmdk',
        size: member.length,
        sha256: sha('sha256', member),
        origin: { kind: 'file-range', path, offset: 1000, length: 3000 },
      };
      assert.equal(
        (await verifyManifestEntry({ algo: 'SHA256', hex: sha('sha256', member) }, file)).ok,
        true,
      );
      assert.equal((await verifyManifestEntry({ algo: 'SHA256', hex: 'a'.repeat(64) }, file)).ok, false);
      const s1 = await verifyManifestEntry({ algo: 'SHA1', hex: sha('sha1', member) }, file);
      assert.deepEqual(s1, { ok: true, readBytes: 3000 });
      assert.equal((await verifyManifestEntry({ algo: 'SHA1', hex: sha('sha1', data) }, file)).ok, false);
      assert.equal(
        (await verifyManifestEntry({ algo: 'SHA512', hex: sha('sha512', member) }, file)).ok,
        true,
      );
    } finally {
      await cleanup();
    }
  });
});
