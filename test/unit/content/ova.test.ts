// Tests for src/content/ova.ts and tar-header.ts: exact member ranges of tar-stream-made OVAs, and
// rejection of truncated, non-tar, corrupt and unsafe archives with BAD_INPUT naming the OVA.

import assert from 'node:assert/strict';
import { open, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HashCache } from '../../../src/content/hash-cache.js';
import { indexOva } from '../../../src/content/ova.js';
import { decodeNumber } from '../../../src/content/tar-header.js';
import { assertClaasError, ovfXml, random, sha, tempDir, writeSampleOva, writeTar } from './fixtures.js';

describe('indexOva', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  const ovf = Buffer.from(ovfXml({ files: [] }));

  it('indexes every member to its exact byte range and hash', async () => {
    const path = join(dir, 'photon.ova');
    const { members } = await writeSampleOva(path);
    const index = await indexOva(path);
    assert.deepEqual(
      index.members.map((m) => m.name),
      ['photon.ovf', 'photon.mf', 'photon-disk1.vmdk', 'photon-disk2.vmdk'],
    );
    assert.deepEqual(index.warnings, []);
    const whole = await readFile(path);
    for (const m of index.members) {
      const expected = members[m.name]!;
      assert.equal(m.size, expected.length);
      assert.equal(m.offset % 512, 0);
      assert.ok(whole.subarray(m.offset, m.offset + m.size).equals(expected), `bytes of ${m.name}`);
      assert.equal(m.sha256, sha('sha256', expected), `hash of ${m.name}`);
    }
    assert.equal(
      index.hashedBytes,
      Object.values(members).reduce((n, b) => n + b.length, 0),
    );
  });

  it('hashes nothing again when the OVA is unchanged and a cache is given', async () => {
    const path = join(dir, 'photon.ova');
    await writeSampleOva(path);
    const cache = HashCache.inMemory();
    const first = await indexOva(path, { hashCache: cache });
    const second = await indexOva(path, { hashCache: cache });
    assert.equal(second.hashedBytes, 0);
    assert.equal(second.cachedMembers, 4);
    assert.deepEqual(second.members, first.members);
  });

  it('reads long member names (pax headers)', async () => {
    const path = join(dir, 'long.ova');
    const long = `${'d'.repeat(150)}.vmdk`;
    const disk = random(1000);
    await writeTar(path, [
      { name: 'a.ovf', data: ovf },
      { name: long, data: disk },
    ]);
    const index = await indexOva(path);
    assert.equal(index.members[1]!.name, long);
    assert.equal(index.members[1]!.sha256, sha('sha256', disk));
  });

  it('rejects a truncated OVA', async () => {
    const path = join(dir, 'cut.ova');
    await writeSampleOva(path);
    const size = (await readFile(path)).length;
    await truncate(path, size - 200_000);
    await assertClaasError(() => indexOva(path), 'BAD_INPUT', path, /truncated/);
    const path2 = join(dir, 'noend.ova');
    await writeSampleOva(path2);
    const whole = await readFile(path2);
    // Drop the end-of-archive blocks only: every member is complete but the archive is not.
    let end = whole.length;
    while (end > 0 && whole.subarray(end - 512, end).every((b) => b === 0)) end -= 512;
    await writeFile(path2, whole.subarray(0, end));
    await assertClaasError(() => indexOva(path2), 'BAD_INPUT', path2, /truncated/);
  });

  it('rejects a file that is not a tar archive', async () => {
    const path = join(dir, 'fake.ova');
    await writeFile(path, random(4096));
    await assertClaasError(() => indexOva(path), 'BAD_INPUT', path, /not a tar/);
    const tiny = join(dir, 'tiny.ova');
    await writeFile(tiny, 'hello');
    await assertClaasError(() => indexOva(tiny), 'BAD_INPUT', tiny, /not a tar/);
  });

  it('rejects a header with a bad checksum', async () => {
    const path = join(dir, 'corrupt.ova');
    const { members } = await writeSampleOva(path);
    const fh = await open(path, 'r+');
    const secondHeader = 512 + Math.ceil(members['photon.ovf']!.length / 512) * 512;
    await fh.write(Buffer.from('X'), 0, 1, secondHeader + 3); // inside the name field
    await fh.close();
    await assertClaasError(() => indexOva(path), 'BAD_INPUT', path, /checksum/);
  });

  it('rejects members in folders, folders, and duplicate names', async () => {
    const nested = join(dir, 'nested.ova');
    await writeTar(nested, [
      { name: 'a.ovf', data: ovf },
      { name: 'disks/disk1.vmdk', data: random(10) },
    ]);
    await assertClaasError(() => indexOva(nested), 'BAD_INPUT', nested, /disks\/disk1.vmdk/);
    const dotdot = join(dir, 'dotdot.ova');
    await writeTar(dotdot, [
      { name: 'a.ovf', data: ovf },
      { name: '../evil.vmdk', data: random(10) },
    ]);
    await assertClaasError(() => indexOva(dotdot), 'BAD_INPUT', dotdot);
    const folder = join(dir, 'folder.ova');
    await writeTar(folder, [
      { name: 'a.ovf', data: ovf },
      { name: 'sub', data: Buffer.alloc(0), type: 'directory' },
    ]);
    await assertClaasError(() => indexOva(folder), 'BAD_INPUT', folder, /folder/);
    const dup = join(dir, 'dup.ova');
    await writeTar(dup, [
      { name: 'a.ovf', data: ovf },
      { name: 'a.vmdk', data: random(10) },
      { name: 'a.vmdk', data: random(10) },
    ]);
    await assertClaasError(() => indexOva(dup), 'BAD_INPUT', dup, /twice/);
  });

  it('requires exactly one descriptor and warns when it is not first', async () => {
    const none = join(dir, 'none.ova');
    await writeTar(none, [{ name: 'a.vmdk', data: random(10) }]);
    await assertClaasError(() => indexOva(none), 'BAD_INPUT', none, /no \.ovf/);
    const two = join(dir, 'two.ova');
    await writeTar(two, [
      { name: 'a.ovf', data: ovf },
      { name: 'b.ovf', data: ovf },
    ]);
    await assertClaasError(() => indexOva(two), 'BAD_INPUT', two, /2 \.ovf/);
    const last = join(dir, 'last.ova');
    await writeSampleOva(last, { order: 'descriptor-last' });
    const index = await indexOva(last);
    assert.equal(index.warnings.length, 1);
    assert.match(index.warnings[0]!.message, /not the first member/);
    assert.equal(index.warnings[0]!.input, last);
  });
});

describe('tar numeric fields', () => {
  it('decodes octal and GNU base-256 sizes (members over 8 GiB)', () => {
    const block = Buffer.alloc(512);
    block.write('00000001750\0', 124);
    assert.equal(decodeNumber(block, 124, 12, 'size'), 1000);
    block.fill(0, 124, 136);
    block[124] = 0x80;
    block.writeUIntBE(20 * 1024 ** 3, 130, 6); // 20 GiB
    assert.equal(decodeNumber(block, 124, 12, 'size'), 20 * 1024 ** 3);
    block.write('0000000175x\0', 124);
    assert.throws(() => decodeNumber(block, 124, 12, 'size'), /octal/);
  });
});
