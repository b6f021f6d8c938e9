// Tests for src/demo/iso9660.ts: the image is parsed back here byte by byte and, where genisoimage and
// libarchive-tools are installed, read with isoinfo and bsdtar as well.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { writeIso9660 } from '../../../src/demo/iso9660.js';
import { isoRoot, noBsdtar, noIsoinfo, run, useTempDir } from './readers.js';

const dir = useTempDir('claas-iso-');

describe('writeIso9660', () => {
  const files = [
    { name: 'readme.txt', data: Buffer.from('Read me.\n') },
    { name: 'DATA.BIN', data: Buffer.alloc(5000, 0xab) },
    { name: 'EMPTY', data: Buffer.alloc(0) },
  ];

  test('writes the volume descriptors, path tables, root directory and file extents', async () => {
    const path = join(dir(), 'test.iso');
    await writeIso9660(path, { volumeId: 'claas_test', files });
    const iso = await readFile(path);
    assert.equal(iso.length % 2048, 0);
    assert.ok(
      iso.subarray(0, 16 * 2048).every((x) => x === 0),
      'system area is zero',
    );

    const pvd = iso.subarray(16 * 2048, 17 * 2048);
    assert.equal(pvd[0], 1);
    assert.equal(pvd.toString('latin1', 1, 6), 'CD001');
    assert.equal(pvd[6], 1);
    assert.equal(pvd.toString('latin1', 40, 72), 'CLAAS_TEST'.padEnd(32));
    assert.equal(pvd.readUInt32LE(80), iso.length / 2048, 'volume space size is the image size');
    assert.equal(pvd.readUInt32BE(84), iso.length / 2048);
    assert.equal(pvd.readUInt16LE(120), 1);
    assert.equal(pvd.readUInt16LE(124), 1);
    assert.equal(pvd.readUInt16LE(128), 2048);
    assert.equal(pvd.readUInt16BE(130), 2048);
    assert.equal(pvd.readUInt32LE(132), 10);
    assert.equal(pvd.toString('latin1', 813, 829), '2025010100000000');
    assert.equal(pvd[881], 1);

    const terminator = iso.subarray(17 * 2048, 18 * 2048);
    assert.equal(terminator[0], 255);
    assert.equal(terminator.toString('latin1', 1, 6), 'CD001');

    const rootExtent = pvd.readUInt32LE(158);
    const lTable = iso.subarray(pvd.readUInt32LE(140) * 2048);
    assert.deepEqual(
      [lTable[0], lTable.readUInt32LE(2), lTable.readUInt16LE(6), lTable[8]],
      [1, rootExtent, 1, 0],
    );
    const mTable = iso.subarray(pvd.readUInt32BE(148) * 2048);
    assert.deepEqual(
      [mTable[0], mTable.readUInt32BE(2), mTable.readUInt16BE(6), mTable[8]],
      [1, rootExtent, 1, 0],
    );

    const root = isoRoot(iso);
    assert.deepEqual(
      root.map((r) => [r.id, r.flags]),
      [
        ['\0', 2],
        ['\x01', 2],
        ['DATA.BIN;1', 0],
        ['EMPTY.;1', 0],
        ['README.TXT;1', 0],
      ],
    );
    assert.equal(root[0]?.extent, rootExtent);
    assert.equal(root[1]?.extent, rootExtent, "the root's parent is the root");
    for (const f of files) {
      const rec = root.find((r) => r.id.startsWith(f.name.toUpperCase().replace(/^EMPTY$/, 'EMPTY.')));
      assert.ok(rec, f.name);
      assert.equal(rec.size, f.data.length);
      assert.ok(
        iso.subarray(rec.extent * 2048, rec.extent * 2048 + rec.size).equals(f.data),
        `${f.name} data`,
      );
    }
  });

  test('rejects names that are not d-characters, and duplicates', async () => {
    const path = join(dir(), 'bad.iso');
    const data = Buffer.from('x');
    await assert.rejects(writeIso9660(path, { volumeId: 'has space', files: [] }), RangeError);
    await assert.rejects(
      writeIso9660(path, { volumeId: 'V', files: [{ name: 'a-b.txt', data }] }),
      RangeError,
    );
    await assert.rejects(writeIso9660(path, { volumeId: 'V', files: [{ name: 'a.b.c', data }] }), RangeError);
    await assert.rejects(
      writeIso9660(path, {
        volumeId: 'V',
        files: [
          { name: 'a.txt', data },
          { name: 'A.TXT', data },
        ],
      }),
      RangeError,
    );
  });

  test('isoinfo reads the volume and extracts the files', { skip: noIsoinfo }, async () => {
    const path = join(dir(), 'isoinfo.iso');
    await writeIso9660(path, { volumeId: 'CLAAS_TEST', files });
    const iso = await readFile(path);
    const d = (await run('isoinfo', ['-d', '-i', path])).stdout;
    assert.match(d, /^Volume id: CLAAS_TEST$/m);
    assert.match(d, new RegExp(`^Volume size is: ${iso.length / 2048}$`, 'm'));
    assert.match(d, /^Logical block size is: 2048$/m);
    const l = (await run('isoinfo', ['-l', '-i', path])).stdout;
    for (const id of ['README.TXT;1', 'DATA.BIN;1', 'EMPTY.;1']) assert.ok(l.includes(id), `${id} listed`);
    const x = await run('isoinfo', ['-i', path, '-x', '/README.TXT;1'], { encoding: 'buffer' });
    assert.ok(x.stdout.equals(Buffer.from('Read me.\n')));
    const bin = await run('isoinfo', ['-i', path, '-x', '/DATA.BIN;1'], { encoding: 'buffer' });
    assert.ok(bin.stdout.equals(Buffer.alloc(5000, 0xab)));
  });

  test('bsdtar lists and extracts the files', { skip: noBsdtar }, async () => {
    const path = join(dir(), 'bsdtar.iso');
    await writeIso9660(path, { volumeId: 'CLAAS_TEST', files });
    const names = (await run('bsdtar', ['-tf', path])).stdout.split('\n').filter(Boolean);
    for (const n of ['README.TXT', 'DATA.BIN']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    const x = await run('bsdtar', ['-xOf', path, 'README.TXT'], { encoding: 'buffer' });
    assert.ok(x.stdout.equals(Buffer.from('Read me.\n')));
  });
});
