// Tests for src/demo/vmdk.ts: the streamOptimized VMDK is parsed back here byte by byte and, where
// qemu-utils is installed, checked and converted with qemu-img as well.

import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inflateSync } from 'node:zlib';

import { writeStreamOptimizedVmdk } from '../../../src/demo/vmdk.js';
import { GRAIN, MiB, checkVmdk, noQemuImg, readThroughDirectory, run, useTempDir } from './readers.js';

const dir = useTempDir('claas-vmdk-');

describe('writeStreamOptimizedVmdk', () => {
  test('writes header, descriptor, grains, tables, directory, footer and end marker', async () => {
    const path = join(dir(), 'small.vmdk');
    const data = Buffer.alloc(3 * GRAIN + 1000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
    data.fill(0, GRAIN, 2 * GRAIN); // an all-zero grain stays unallocated
    await writeStreamOptimizedVmdk(path, { capacityBytes: 16 * MiB, data });
    const file = await readFile(path);
    const { footer, entries } = checkVmdk(file, 'small.vmdk', 16 * MiB);

    const grains = entries.filter((e) => e.kind === 'grain');
    assert.deepEqual(
      grains.map((g) => g.lba),
      [0, 256, 384],
      'grains 0, 2 and 3 are written, grain 1 (zeros) is not',
    );
    assert.deepEqual(
      entries.map((e) => (e.kind === 'grain' ? 'grain' : e.type)),
      ['grain', 'grain', 'grain', 1, 2, 3, 0],
    );
    for (const g of grains) {
      const inflated = inflateSync(g.data);
      const expected = Buffer.alloc(GRAIN);
      data.copy(expected, 0, g.lba * 512, Math.min(data.length, g.lba * 512 + GRAIN));
      assert.ok(inflated.equals(expected), `grain at LBA ${g.lba} inflates to the data`);
    }
    const disk = readThroughDirectory(file, footer, 4 * GRAIN);
    assert.ok(disk.subarray(0, data.length).equals(data));
    assert.ok(disk.subarray(data.length).every((x) => x === 0));
  });

  test('an empty disk is a valid stream: directory, footer and end marker only', async () => {
    const path = join(dir(), 'empty.vmdk');
    await writeStreamOptimizedVmdk(path, { capacityBytes: 10 * 1024 * MiB });
    const file = await readFile(path);
    const { header, footer, entries } = checkVmdk(file, 'empty.vmdk', 10 * 1024 * MiB);
    assert.deepEqual(
      entries.map((e) => (e.kind === 'grain' ? 'grain' : e.type)),
      [2, 3, 0],
    );
    assert.equal(footer.gdOffset, header.overHead + 1n);
    const gd = entries[0];
    assert.ok(gd?.kind === 'meta' && gd.body.every((x) => x === 0), 'no grain tables');
    await mkdir(join(dir(), 'other'), { recursive: true });
    const same = join(dir(), 'other', 'empty.vmdk');
    await writeStreamOptimizedVmdk(same, { capacityBytes: 10 * 1024 * MiB, data: Buffer.alloc(0) });
    assert.ok((await readFile(same)).equals(file), 'data: empty is the same as no data');
  });

  test('data across two grain tables', async () => {
    const path = join(dir(), 'two-tables.vmdk');
    const data = Buffer.alloc(32 * MiB + 4096);
    data.write('first grain table', 0);
    data.write('second grain table', 32 * MiB + 100);
    await writeStreamOptimizedVmdk(path, { capacityBytes: 100 * MiB, data });
    const file = await readFile(path);
    const { footer, entries } = checkVmdk(file, 'two-tables.vmdk', 100 * MiB);
    assert.deepEqual(
      entries.map((e) => (e.kind === 'grain' ? `grain@${e.lba}` : e.type)),
      ['grain@0', 1, `grain@${(32 * MiB) / 512}`, 1, 2, 3, 0],
    );
    assert.ok(readThroughDirectory(file, footer, data.length).equals(data));
  });

  test('is deterministic', async () => {
    const data = Buffer.from('same bytes every time');
    await writeStreamOptimizedVmdk(join(dir(), 'd1.vmdk'), { capacityBytes: MiB, data });
    await writeStreamOptimizedVmdk(join(dir(), 'd2.vmdk'), { capacityBytes: MiB, data });
    const [a, b] = await Promise.all([readFile(join(dir(), 'd1.vmdk')), readFile(join(dir(), 'd2.vmdk'))]);
    // Only the file name in the descriptor's extent line differs.
    assert.ok(a.equals(Buffer.from(b.toString('latin1').replace('"d2.vmdk"', '"d1.vmdk"'), 'latin1')));
  });

  test('rejects a capacity that is not whole sectors, and data larger than the disk', async () => {
    const path = join(dir(), 'bad.vmdk');
    await assert.rejects(writeStreamOptimizedVmdk(path, { capacityBytes: 1000 }), RangeError);
    await assert.rejects(writeStreamOptimizedVmdk(path, { capacityBytes: 0 }), RangeError);
    await assert.rejects(
      writeStreamOptimizedVmdk(path, { capacityBytes: 512, data: Buffer.alloc(513) }),
      RangeError,
    );
  });

  describe('qemu-img', { skip: noQemuImg }, () => {
    for (const [name, capacityBytes, data] of [
      ['qemu-data.vmdk', 64 * MiB, Buffer.from('hello from claas\n'.repeat(300))],
      ['qemu-empty.vmdk', 64 * MiB, undefined],
      ['qemu-big.vmdk', 40 * MiB, Buffer.concat([Buffer.alloc(33 * MiB), Buffer.from('tail')])],
    ] as const) {
      test(`info, check and convert: ${name}`, async () => {
        const path = join(dir(), name);
        await writeStreamOptimizedVmdk(path, { capacityBytes, ...(data ? { data } : {}) });
        const info = JSON.parse((await run('qemu-img', ['info', '--output=json', path])).stdout) as {
          format: string;
          'virtual-size': number;
          'format-specific': { type: string; data: { 'create-type': string } };
        };
        assert.equal(info.format, 'vmdk');
        assert.equal(info['virtual-size'], capacityBytes);
        assert.equal(info['format-specific'].data['create-type'], 'streamOptimized');
        const check = await run('qemu-img', ['check', path]);
        assert.match(check.stdout, /No errors were found on the image/);
        const raw = join(dir(), `${name}.raw`);
        await run('qemu-img', ['convert', '-O', 'raw', path, raw]);
        const disk = await readFile(raw);
        assert.equal(disk.length, capacityBytes);
        const expected = data ?? Buffer.alloc(0);
        assert.ok(disk.subarray(0, expected.length).equals(expected), 'raw image starts with the data');
        assert.ok(
          disk.subarray(expected.length).every((x) => x === 0),
          'the rest reads as zeros',
        );
        await rm(raw);
      });
    }
  });
});
