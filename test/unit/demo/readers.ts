// Readers for the tests of src/demo, independent of the writers: a streamOptimized VMDK walker and
// grain-directory reader, the root directory of an ISO 9660 image, an XML parser for OVF; the external
// tools the tests also check with, when installed; and a temporary folder per test file.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';

import { XMLParser } from 'fast-xml-parser';

import { VMDK_MARKER } from '../../../src/demo/vmdk.js';

export const run = promisify(execFile);
export const MiB = 1024 * 1024;
export const GRAIN = 64 * 1024;

/** A skip reason when cmd is not installed, else false (the CI test script installs the tools). */
export function missing(cmd: string, args: string[], pkg: string): string | false {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error ? `${cmd} is not installed (apt-get install ${pkg})` : false;
}
export const noQemuImg = missing('qemu-img', ['--version'], 'qemu-utils');
export const noIsoinfo = missing('isoinfo', ['-version'], 'genisoimage');
export const noBsdtar = missing('bsdtar', ['--version'], 'libarchive-tools');

/** A temporary folder made before the file's tests and removed after them; call the result for its path. */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error('the temporary folder is made before the tests');
    return dir;
  };
}

// ---------------------------------------------------------------------------------------------------
// A reader for streamOptimized VMDK files, independent of the writer.

export interface SparseHeader {
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

export function parseHeader(b: Buffer): SparseHeader {
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

export type StreamEntry =
  | { kind: 'grain'; at: number; lba: number; data: Buffer }
  | { kind: 'meta'; at: number; type: number; sectors: number; body: Buffer };

/** Walks the stream from the first grain to the end-of-stream marker, the way a sequential reader does. */
export function walkStream(file: Buffer, start: number): StreamEntry[] {
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
export function readThroughDirectory(file: Buffer, footer: SparseHeader, bytes: number): Buffer {
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
export function checkVmdk(file: Buffer, fileName: string, capacityBytes: number) {
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

/** The root directory records of an ISO 9660 image: identifier, extent, size, flags. */
export function isoRoot(iso: Buffer): { id: string; extent: number; size: number; flags: number }[] {
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

/** Parses OVF with attributes as "@name" keys and every text kept as a string. */
export const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });
