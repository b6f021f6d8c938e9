// Tests for the generated sample content: the streamOptimized VMDK and ISO 9660 images are parsed back
// here byte by byte, and, where the Debian tools are installed (qemu-utils, genisoimage,
// libarchive-tools), checked with qemu-img, isoinfo and bsdtar as well.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';

import { XMLParser, XMLValidator } from 'fast-xml-parser';

import { sha256Bytes } from '../../../src/content/hash.js';
import {
  STREAM_OPTIMIZED_FORMAT,
  VMDK_MARKER,
  ovfDescriptor,
  ovfManifest,
  writeIso9660,
  writeSampleSource,
  writeStreamOptimizedVmdk,
} from '../../../src/demo/samples.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const GRAIN = 64 * 1024;

/** A skip reason when cmd is not installed, else false (the CI test script installs the tools). */
function missing(cmd: string, args: string[], pkg: string): string | false {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error ? `${cmd} is not installed (apt-get install ${pkg})` : false;
}
const noQemuImg = missing('qemu-img', ['--version'], 'qemu-utils');
const noIsoinfo = missing('isoinfo', ['-version'], 'genisoimage');
const noBsdtar = missing('bsdtar', ['--version'], 'libarchive-tools');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'claas-samples-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// A reader for streamOptimized VMDK files, independent of the writer.

interface SparseHeader {
  magic: string;
  version: number;
  flags: number;
  capacity: bigint;
  grainSize: bigint;
  descriptorOffset: bigint;
  descriptorSize: bigint;
  numGTEsPerGT: number;
  rgdOffset: bigint;
  gdOffset: bigint;
  overHead: bigint;
  uncleanShutdown: number;
  newlineChars: string;
  compressAlgorithm: number;
}

function parseHeader(b: Buffer): SparseHeader {
  return {
    magic: b.toString('latin1', 0, 4),
    version: b.readUInt32LE(4),
    flags: b.readUInt32LE(8),
    capacity: b.readBigUInt64LE(12),
    grainSize: b.readBigUInt64LE(20),
    descriptorOffset: b.readBigUInt64LE(28),
    descriptorSize: b.readBigUInt64LE(36),
    numGTEsPerGT: b.readUInt32LE(44),
    rgdOffset: b.readBigUInt64LE(48),
    gdOffset: b.readBigUInt64LE(56),
    overHead: b.readBigUInt64LE(64),
    uncleanShutdown: b.readUInt8(72),
    newlineChars: b.toString('latin1', 73, 77),
    compressAlgorithm: b.readUInt16LE(77),
  };
}

type StreamEntry =
  | { kind: 'grain'; at: number; lba: number; data: Buffer }
  | { kind: 'meta'; at: number; type: number; sectors: number; body: Buffer };

/** Walks the stream from the first grain to the end-of-stream marker, the way a sequential reader does. */
function walkStream(file: Buffer, start: number): StreamEntry[] {
  const entries: StreamEntry[] = [];
  let sector = start;
  for (;;) {
    assert.ok(sector * 512 < file.length, `stream runs past the end of the file at sector ${sector}`);
    const at = sector;
    const size = file.readUInt32LE(at * 512 + 8);
    if (size > 0) {
      const lba = Number(file.readBigUInt64LE(at * 512));
      entries.push({ kind: 'grain', at, lba, data: file.subarray(at * 512 + 12, at * 512 + 12 + size) });
      sector += Math.ceil((12 + size) / 512);
      continue;
    }
    const sectors = Number(file.readBigUInt64LE(at * 512));
    const type = file.readUInt32LE(at * 512 + 12);
    assert.ok(
      file.subarray(at * 512 + 16, at * 512 + 512).every((x) => x === 0),
      'marker padding is zero',
    );
    const body = file.subarray((at + 1) * 512, (at + 1 + sectors) * 512);
    entries.push({ kind: 'meta', at, type, sectors, body });
    sector += 1 + sectors;
    if (type === VMDK_MARKER.endOfStream) break;
  }
  assert.equal(sector * 512, file.length, 'the end-of-stream marker is the last sector');
  return entries;
}

/** Reads the virtual disk through the footer's grain directory (random access, as qemu does). */
function readThroughDirectory(file: Buffer, footer: SparseHeader, bytes: number): Buffer {
  const disk = Buffer.alloc(bytes);
  const gdEntries = Math.ceil(Number(footer.capacity) / Number(footer.grainSize) / footer.numGTEsPerGT);
  const gd = Number(footer.gdOffset) * 512;
  for (let g = 0; g < gdEntries; g++) {
    const gt = file.readUInt32LE(gd + g * 4);
    if (gt === 0) continue;
    for (let i = 0; i < footer.numGTEsPerGT; i++) {
      const grainAt = file.readUInt32LE(gt * 512 + i * 4);
      if (grainAt === 0) continue;
      const grain = g * footer.numGTEsPerGT + i;
      const lba = Number(file.readBigUInt64LE(grainAt * 512));
      assert.equal(lba, grain * Number(footer.grainSize), 'grain marker LBA matches its grain table slot');
      const size = file.readUInt32LE(grainAt * 512 + 8);
      const inflated = inflateSync(file.subarray(grainAt * 512 + 12, grainAt * 512 + 12 + size));
      assert.equal(inflated.length, GRAIN, 'a grain inflates to exactly one grain');
      if (grain * GRAIN < bytes)
        inflated.copy(disk, grain * GRAIN, 0, Math.min(GRAIN, bytes - grain * GRAIN));
    }
  }
  return disk;
}

/** Checks everything about a streamOptimized file that does not depend on its data; returns the parts. */
function checkVmdk(file: Buffer, fileName: string, capacityBytes: number) {
  assert.equal(file.length % 512, 0, 'the file is sector-aligned');
  const header = parseHeader(file);
  assert.equal(header.magic, 'KDMV');
  assert.equal(header.version, 3);
  assert.equal(header.flags, (1 << 0) | (1 << 16) | (1 << 17));
  assert.equal(header.capacity, BigInt(capacityBytes / 512));
  assert.equal(header.grainSize, 128n);
  assert.equal(header.descriptorOffset, 1n);
  assert.ok(header.descriptorSize >= 1n);
  assert.equal(header.numGTEsPerGT, 512);
  assert.equal(header.rgdOffset, 0n);
  assert.equal(header.gdOffset, 0xffffffffffffffffn, 'GD_AT_END in the leading header');
  assert.ok(header.overHead >= 1n + header.descriptorSize);
  assert.equal(header.uncleanShutdown, 0);
  assert.equal(header.newlineChars, '\n \r\n');
  assert.equal(header.compressAlgorithm, 1);
  assert.ok(
    file.subarray(79, 512).every((x) => x === 0),
    'header padding is zero',
  );

  const descriptor = file
    .subarray(512, 512 * (1 + Number(header.descriptorSize)))
    .toString('utf8')
    .replace(/\0+$/, '');
  assert.match(descriptor, /^# Disk DescriptorFile\n/);
  assert.match(descriptor, /^createType="streamOptimized"$/m);
  assert.match(descriptor, new RegExp(`^RW ${capacityBytes / 512} SPARSE "${fileName}"$`, 'm'));
  assert.match(descriptor, /^ddb\.adapterType = "lsilogic"$/m);
  assert.match(descriptor, /^ddb\.geometry\.cylinders = "\d+"$/m);
  assert.match(descriptor, /^ddb\.geometry\.heads = "\d+"$/m);
  assert.match(descriptor, /^ddb\.geometry\.sectors = "\d+"$/m);
  assert.ok(
    file
      .subarray(512 * (1 + Number(header.descriptorSize)), Number(header.overHead) * 512)
      .every((x) => x === 0),
  );

  const entries = walkStream(file, Number(header.overHead));
  const metas = entries.filter((e) => e.kind === 'meta');
  const tail = metas.slice(-3).map((e) => e.type);
  assert.deepEqual(tail, [VMDK_MARKER.grainDirectory, VMDK_MARKER.footer, VMDK_MARKER.endOfStream]);
  const [gdMeta, footerMeta, eos] = metas.slice(-3);
  assert.ok(gdMeta && footerMeta && eos);
  assert.equal(eos.sectors, 0);
  assert.equal(footerMeta.sectors, 1);
  assert.equal(footerMeta.at * 512, file.length - 1536, 'footer marker at end - 1536');

  const footer = parseHeader(footerMeta.body);
  assert.deepEqual({ ...footer, gdOffset: 0n }, { ...header, gdOffset: 0n }, 'the footer copies the header');
  assert.equal(footer.gdOffset, BigInt(gdMeta.at + 1), 'the footer points at the grain directory');
  const gdEntries = Math.ceil(capacityBytes / GRAIN / 512);
  assert.equal(gdMeta.sectors, Math.ceil((gdEntries * 4) / 512));

  // Every grain table is a grain table marker's body and the directory names it; every grain table
  // entry names a grain marker of the stream.
  const grainAt = new Set(entries.filter((e) => e.kind === 'grain').map((e) => e.at));
  const gtAt = new Set(metas.filter((e) => e.type === VMDK_MARKER.grainTable).map((e) => e.at + 1));
  for (const m of metas.filter((e) => e.type === VMDK_MARKER.grainTable)) {
    assert.equal(m.sectors, 4);
    for (let i = 0; i < 512; i++) {
      const g = m.body.readUInt32LE(i * 4);
      if (g !== 0) assert.ok(grainAt.has(g), `grain table entry ${i} points at a grain marker`);
    }
  }
  const named = new Set<number>();
  for (let g = 0; g < gdEntries; g++) {
    const at = gdMeta.body.readUInt32LE(g * 4);
    if (at !== 0) named.add(at);
  }
  assert.deepEqual(
    [...named].sort(),
    [...gtAt].sort(),
    'the directory names exactly the written grain tables',
  );
  return { header, footer, entries };
}

describe('writeStreamOptimizedVmdk', () => {
  test('writes header, descriptor, grains, tables, directory, footer and end marker', async () => {
    const path = join(dir, 'small.vmdk');
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
    const path = join(dir, 'empty.vmdk');
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
    await mkdir(join(dir, 'other'), { recursive: true });
    const same = join(dir, 'other', 'empty.vmdk');
    await writeStreamOptimizedVmdk(same, { capacityBytes: 10 * 1024 * MiB, data: Buffer.alloc(0) });
    assert.ok((await readFile(same)).equals(file), 'data: empty is the same as no data');
  });

  test('data across two grain tables', async () => {
    const path = join(dir, 'two-tables.vmdk');
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
    await writeStreamOptimizedVmdk(join(dir, 'd1.vmdk'), { capacityBytes: MiB, data });
    await writeStreamOptimizedVmdk(join(dir, 'd2.vmdk'), { capacityBytes: MiB, data });
    const [a, b] = await Promise.all([readFile(join(dir, 'd1.vmdk')), readFile(join(dir, 'd2.vmdk'))]);
    // Only the file name in the descriptor's extent line differs.
    assert.ok(a.equals(Buffer.from(b.toString('latin1').replace('"d2.vmdk"', '"d1.vmdk"'), 'latin1')));
  });

  test('rejects a capacity that is not whole sectors, and data larger than the disk', async () => {
    const path = join(dir, 'bad.vmdk');
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
        const path = join(dir, name);
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
        const raw = join(dir, `${name}.raw`);
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

// ---------------------------------------------------------------------------------------------------

/** The root directory records of an ISO 9660 image: identifier, extent, size, flags. */
function isoRoot(iso: Buffer): { id: string; extent: number; size: number; flags: number }[] {
  const pvd = iso.subarray(16 * 2048, 17 * 2048);
  const rootExtent = pvd.readUInt32LE(156 + 2);
  const rootSize = pvd.readUInt32LE(156 + 10);
  const records = [];
  for (let pos = rootExtent * 2048; pos < rootExtent * 2048 + rootSize;) {
    const len = iso[pos] ?? 0;
    if (len === 0) {
      pos = (Math.floor(pos / 2048) + 1) * 2048; // the rest of the sector is padding
      continue;
    }
    const idLen = iso.readUInt8(pos + 32);
    assert.equal(iso.readUInt32LE(pos + 2), iso.readUInt32BE(pos + 6), 'extent is both-endian');
    assert.equal(iso.readUInt32LE(pos + 10), iso.readUInt32BE(pos + 14), 'size is both-endian');
    assert.equal(len, 33 + idLen + (idLen % 2 === 0 ? 1 : 0));
    records.push({
      id: iso.toString('latin1', pos + 33, pos + 33 + idLen),
      extent: iso.readUInt32LE(pos + 2),
      size: iso.readUInt32LE(pos + 10),
      flags: iso.readUInt8(pos + 25),
    });
    pos += len;
  }
  return records;
}

describe('writeIso9660', () => {
  const files = [
    { name: 'readme.txt', data: Buffer.from('Read me.\n') },
    { name: 'DATA.BIN', data: Buffer.alloc(5000, 0xab) },
    { name: 'EMPTY', data: Buffer.alloc(0) },
  ];

  test('writes the volume descriptors, path tables, root directory and file extents', async () => {
    const path = join(dir, 'test.iso');
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
    const path = join(dir, 'bad.iso');
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
    const path = join(dir, 'isoinfo.iso');
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
    const path = join(dir, 'bsdtar.iso');
    await writeIso9660(path, { volumeId: 'CLAAS_TEST', files });
    const names = (await run('bsdtar', ['-tf', path])).stdout.split('\n').filter(Boolean);
    for (const n of ['README.TXT', 'DATA.BIN']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    const x = await run('bsdtar', ['-xOf', path, 'README.TXT'], { encoding: 'buffer' });
    assert.ok(x.stdout.equals(Buffer.from('Read me.\n')));
  });
});

// ---------------------------------------------------------------------------------------------------

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

interface RasdItem {
  [k: string]: string | undefined;
}

function hardwareItems(vs: Record<string, unknown>): RasdItem[] {
  const hw = vs['VirtualHardwareSection'] as { Item: RasdItem[]; System: Record<string, string> };
  assert.equal(hw.System['vssd:VirtualSystemType'], 'vmx-13');
  assert.equal(hw.System['vssd:InstanceID'], '0');
  return hw.Item;
}

describe('ovfDescriptor', () => {
  const base = {
    name: 'web & db',
    diskFile: 'disk1.vmdk',
    diskFileSize: 12345,
    capacityBytes: 8 * 1024 * MiB,
  };

  test('writes a well-formed OVF 1.x envelope with references, disk, network and hardware', () => {
    const text = ovfDescriptor({ ...base, annotation: 'a <b> & "c"' });
    assert.equal(XMLValidator.validate(text), true);
    const env = xml.parse(text).Envelope;
    assert.equal(env['@xmlns'], 'http://schemas.dmtf.org/ovf/envelope/1');
    assert.equal(env['@xmlns:ovf'], 'http://schemas.dmtf.org/ovf/envelope/1');
    assert.equal(env['@xmlns:vmw'], 'http://www.vmware.com/schema/ovf');
    assert.match(env['@xmlns:rasd'], /CIM_ResourceAllocationSettingData$/);
    assert.match(env['@xmlns:vssd'], /CIM_VirtualSystemSettingData$/);
    assert.deepEqual(
      Object.keys(env).filter((k) => !k.startsWith('@')),
      ['References', 'DiskSection', 'NetworkSection', 'VirtualSystem'],
    );
    const file = env.References.File;
    assert.equal(file['@ovf:href'], 'disk1.vmdk');
    assert.equal(file['@ovf:size'], '12345');
    const disk = env.DiskSection.Disk;
    assert.equal(disk['@ovf:capacity'], String(8 * 1024 * MiB));
    assert.equal(disk['@ovf:fileRef'], file['@ovf:id']);
    assert.equal(disk['@ovf:format'], STREAM_OPTIMIZED_FORMAT);
    assert.equal(env.NetworkSection.Network['@ovf:name'], 'VM Network');

    const vs = env.VirtualSystem;
    assert.equal(vs['@ovf:id'], 'web & db');
    assert.equal(vs.Name, 'web & db');
    assert.equal(vs.OperatingSystemSection['@vmw:osType'], 'otherLinux64Guest');
    assert.equal(vs.AnnotationSection.Annotation, 'a <b> & "c"');
    const items = hardwareItems(vs);
    const ids = items.map((i) => i['rasd:InstanceID']);
    assert.deepEqual(ids, ['1', '2', '3', '4', '5'], 'InstanceIDs unique and in order');
    const byType = (t: string) => items.filter((i) => i['rasd:ResourceType'] === t);
    assert.equal(byType('3')[0]?.['rasd:VirtualQuantity'], '1');
    assert.equal(byType('4')[0]?.['rasd:VirtualQuantity'], '512');
    assert.equal(byType('4')[0]?.['rasd:AllocationUnits'], 'byte * 2^20');
    const scsi = byType('6')[0];
    assert.equal(scsi?.['rasd:ResourceSubType'], 'lsilogic');
    const hd = byType('17')[0];
    assert.equal(hd?.['rasd:Parent'], scsi?.['rasd:InstanceID'], 'the disk hangs on the SCSI controller');
    assert.equal(hd?.['rasd:HostResource'], `ovf:/disk/${disk['@ovf:diskId']}`);
    const nic = byType('10')[0];
    assert.equal(nic?.['rasd:ResourceSubType'], 'VmxNet3');
    assert.equal(nic?.['rasd:Connection'], 'VM Network');

    // rasd elements in schema (alphabetical) order inside every Item.
    for (const block of text.split('<Item>').slice(1)) {
      const names = [...block.split('</Item>')[0]!.matchAll(/<rasd:(\w+)>/g)].map((m) => m[1]!);
      assert.deepEqual(names, [...names].sort(), names.join(','));
    }
  });

  test('without annotation there is no AnnotationSection; vapp wraps the VM in a collection', () => {
    assert.ok(!ovfDescriptor(base).includes('AnnotationSection'));
    const text = ovfDescriptor({ ...base, vapp: true, annotation: 'vApp note' });
    assert.equal(XMLValidator.validate(text), true);
    const env = xml.parse(text).Envelope;
    assert.equal(env.VirtualSystem, undefined);
    const vsc = env.VirtualSystemCollection;
    assert.equal(vsc['@ovf:id'], 'web & db');
    assert.equal(vsc.AnnotationSection.Annotation, 'vApp note');
    assert.equal(vsc.StartupSection.Item['@ovf:id'], vsc.VirtualSystem['@ovf:id']);
    assert.notEqual(vsc.VirtualSystem['@ovf:id'], vsc['@ovf:id'], 'ids are unique in the envelope');
    assert.equal(hardwareItems(vsc.VirtualSystem).length, 5);
  });
});

describe('ovfManifest', () => {
  test('writes one SHA256(name)= hex line per file', () => {
    assert.equal(
      ovfManifest([
        { name: 'a.ovf', sha256: 'ab'.repeat(32) },
        { name: 'a-disk1.vmdk', sha256: 'cd'.repeat(32) },
      ]),
      `SHA256(a.ovf)= ${'ab'.repeat(32)}\nSHA256(a-disk1.vmdk)= ${'cd'.repeat(32)}\n`,
    );
    assert.equal(ovfManifest([]), '');
  });
});

// ---------------------------------------------------------------------------------------------------

async function listFiles(root: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe('writeSampleSource', () => {
  test('creates the OVF folder, ISO and README, identically every time', async () => {
    const a = join(dir, 'source-a');
    const b = join(dir, 'source-b');
    const result = await writeSampleSource(a);
    await writeSampleSource(b);
    assert.deepEqual(result.items, ['photon-mini', 'tools.iso', 'README.txt']);
    const files = await listFiles(a);
    assert.deepEqual(files, [
      'README.txt',
      'photon-mini/photon-mini-disk1.vmdk',
      'photon-mini/photon-mini.mf',
      'photon-mini/photon-mini.ovf',
      'tools.iso',
    ]);
    assert.deepEqual(await listFiles(b), files);
    for (const f of files) {
      assert.ok((await readFile(join(a, f))).equals(await readFile(join(b, f))), `${f} is deterministic`);
    }

    const vmdkPath = join(a, 'photon-mini/photon-mini-disk1.vmdk');
    const vmdk = await readFile(vmdkPath);
    const { footer } = checkVmdk(vmdk, 'photon-mini-disk1.vmdk', 64 * MiB);
    const start = readThroughDirectory(vmdk, footer, GRAIN);
    const text = start.toString('latin1').replace(/\0+$/, '');
    assert.ok(text.length >= 2048 && text.length <= GRAIN, `a few KB of data (${text.length})`);

    const ovf = await readFile(join(a, 'photon-mini/photon-mini.ovf'), 'utf8');
    const env = xml.parse(ovf).Envelope;
    assert.equal(env.References.File['@ovf:href'], 'photon-mini-disk1.vmdk');
    assert.equal(env.References.File['@ovf:size'], String((await stat(vmdkPath)).size));
    assert.equal(env.DiskSection.Disk['@ovf:capacity'], String(64 * MiB));

    const mf = await readFile(join(a, 'photon-mini/photon-mini.mf'), 'utf8');
    const expected = await Promise.all(
      ['photon-mini.ovf', 'photon-mini-disk1.vmdk'].map(
        async (n) => `SHA256(${n})= ${sha256Bytes(await readFile(join(a, 'photon-mini', n)))}\n`,
      ),
    );
    assert.equal(mf, expected.join(''));

    const iso = await readFile(join(a, 'tools.iso'));
    const readme = isoRoot(iso).find((r) => r.id === 'README.TXT;1');
    assert.ok(readme && readme.size > 0);
    assert.match(iso.toString('latin1', readme.extent * 2048, readme.extent * 2048 + readme.size), /claas/);
    assert.match(await readFile(join(a, 'README.txt'), 'utf8'), /photon-mini/);
  });

  test('the sample files pass qemu-img and isoinfo', { skip: noQemuImg || noIsoinfo }, async () => {
    const src = join(dir, 'source-tools');
    await writeSampleSource(src);
    const info = (await run('qemu-img', ['info', join(src, 'photon-mini/photon-mini-disk1.vmdk')])).stdout;
    assert.match(info, /file format: vmdk/);
    assert.match(info, /virtual size: 64 MiB \(67108864 bytes\)/);
    assert.match(info, /create type: streamOptimized/);
    const readme = await run('isoinfo', ['-i', join(src, 'tools.iso'), '-x', '/README.TXT;1']);
    assert.match(readme.stdout, /claas sample ISO image/);
  });
});
