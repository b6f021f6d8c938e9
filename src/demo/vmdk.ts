// Writes a streamOptimized VMDK (VMware "Virtual Disk Format 5.0", section "Stream-Optimized Compressed
// Sparse Extents"), the disk format of OVF templates, for the demo's sample content and for tests: a
// sparse extent header, the embedded descriptor, deflated grains each behind a grain marker, grain tables
// and the grain directory behind metadata markers, a footer (a copy of the header that holds the real
// grain directory offset), and an end-of-stream marker. All offsets are in sectors. Deterministic: the
// same capacity and data give the same bytes.

import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { deflateSync } from 'node:zlib';

const SECTOR = 512;
/** Sectors per grain (64 KiB grains, what VMware writes). */
const GRAIN_SECTORS = 128;
const GRAIN_BYTES = GRAIN_SECTORS * SECTOR;
/** Grain table entries per grain table (one grain table covers 32 MiB). */
const GTES_PER_GT = 512;
/** gdOffset in the leading header of a stream: "read the footer to find the grain directory". */
const GD_AT_END = 0xffffffffffffffffn;
const VMDK_MAGIC = 0x564d444b; // 'KDMV' read as a little-endian uint32
const FLAG_VALID_NEWLINE_DETECTION = 1 << 0;
const FLAG_COMPRESSED_GRAINS = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const COMPRESS_DEFLATE = 1;

/** Metadata marker types (the `type` field of a marker whose `size` is 0). */
export const VMDK_MARKER = { endOfStream: 0, grainTable: 1, grainDirectory: 2, footer: 3 } as const;

export interface StreamOptimizedVmdkOptions {
  /** Virtual disk size in bytes: a positive multiple of 512. */
  capacityBytes: number;
  /** Bytes for the start of the disk (the rest reads as zeros); may be empty or absent. */
  data?: Buffer;
}

/** Writes a valid streamOptimized VMDK (the disk format of OVF templates) to path. */
export async function writeStreamOptimizedVmdk(path: string, o: StreamOptimizedVmdkOptions): Promise<void> {
  await writeFile(path, buildStreamOptimizedVmdk(basename(path), o));
}

function buildStreamOptimizedVmdk(fileName: string, o: StreamOptimizedVmdkOptions): Buffer {
  const { capacityBytes } = o;
  const data = o.data ?? Buffer.alloc(0);
  if (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0 || capacityBytes % SECTOR !== 0) {
    throw new RangeError(
      `VMDK capacity must be a positive multiple of ${SECTOR} bytes, got ${capacityBytes}`,
    );
  }
  if (data.length > capacityBytes) {
    throw new RangeError(`VMDK data (${data.length} bytes) is larger than the capacity (${capacityBytes})`);
  }
  if (/["\r\n]/.test(fileName)) throw new RangeError(`VMDK file name cannot be quoted: ${fileName}`);

  const capacitySectors = capacityBytes / SECTOR;
  const grainsTotal = Math.ceil(capacitySectors / GRAIN_SECTORS);
  const gdEntries = Math.ceil(grainsTotal / GTES_PER_GT);
  const gdSectors = Math.ceil((gdEntries * 4) / SECTOR);

  const idHash = createHash('sha256').update(`${capacityBytes}\n`).update(data).digest('hex');
  const descriptor = Buffer.from(vmdkDescriptor(fileName, capacitySectors, idHash), 'utf8');
  const descriptorSectors = Math.ceil(descriptor.length / SECTOR);
  // Grains start on a grain boundary after header and descriptor, as VMware's own streams do.
  const overHead = Math.ceil((1 + descriptorSectors) / GRAIN_SECTORS) * GRAIN_SECTORS;
  const header = (gdOffset: bigint): Buffer =>
    sparseExtentHeader({ capacitySectors, descriptorSectors, gdOffset, overHead });

  const out: Buffer[] = [];
  let sector = 0;
  const emit = (b: Buffer): number => {
    const at = sector;
    const padded = padTo(b, SECTOR);
    out.push(padded);
    sector += padded.length / SECTOR;
    return at;
  };

  emit(header(GD_AT_END));
  emit(descriptor);
  emit(Buffer.alloc((overHead - sector) * SECTOR));

  const gd = Buffer.alloc(gdSectors * SECTOR);
  const grainsWithData = Math.ceil(data.length / GRAIN_BYTES);
  for (let gt = 0; gt * GTES_PER_GT < grainsWithData; gt++) {
    const table = Buffer.alloc(GTES_PER_GT * 4);
    let used = false;
    for (let i = 0; i < GTES_PER_GT; i++) {
      const grain = gt * GTES_PER_GT + i;
      if (grain >= grainsWithData) break;
      const bytes = Buffer.alloc(GRAIN_BYTES); // always a whole grain: readers inflate exactly one grain
      data.copy(bytes, 0, grain * GRAIN_BYTES, Math.min(data.length, (grain + 1) * GRAIN_BYTES));
      if (isZero(bytes)) continue; // sparse: an absent grain reads as zeros
      const deflated = deflateSync(bytes, { level: 9 });
      const marker = Buffer.alloc(12);
      marker.writeBigUInt64LE(BigInt(grain * GRAIN_SECTORS), 0);
      marker.writeUInt32LE(deflated.length, 8);
      table.writeUInt32LE(emit(Buffer.concat([marker, deflated])), i * 4);
      used = true;
    }
    // Grain tables are allocated on demand in a stream: one without grains is left out (its GD entry stays 0).
    if (!used) continue;
    emit(metadataMarker(table.length / SECTOR, VMDK_MARKER.grainTable));
    gd.writeUInt32LE(emit(table), gt * 4);
  }

  emit(metadataMarker(gdSectors, VMDK_MARKER.grainDirectory));
  const gdOffset = emit(gd);
  emit(metadataMarker(1, VMDK_MARKER.footer));
  emit(header(BigInt(gdOffset)));
  emit(metadataMarker(0, VMDK_MARKER.endOfStream));
  return Buffer.concat(out);
}

function sparseExtentHeader(h: {
  capacitySectors: number;
  descriptorSectors: number;
  gdOffset: bigint;
  overHead: number;
}): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.writeUInt32LE(VMDK_MAGIC, 0);
  b.writeUInt32LE(3, 4); // version
  b.writeUInt32LE(FLAG_VALID_NEWLINE_DETECTION | FLAG_COMPRESSED_GRAINS | FLAG_MARKERS, 8);
  b.writeBigUInt64LE(BigInt(h.capacitySectors), 12);
  b.writeBigUInt64LE(BigInt(GRAIN_SECTORS), 20);
  b.writeBigUInt64LE(1n, 28); // descriptorOffset
  b.writeBigUInt64LE(BigInt(h.descriptorSectors), 36);
  b.writeUInt32LE(GTES_PER_GT, 44);
  b.writeBigUInt64LE(0n, 48); // rgdOffset: no redundant grain directory in a stream
  b.writeBigUInt64LE(h.gdOffset, 56);
  b.writeBigUInt64LE(BigInt(h.overHead), 64);
  b.writeUInt8(0, 72); // uncleanShutdown
  b.write('\n \r\n', 73, 'latin1'); // singleEndLineChar, nonEndLineChar, doubleEndLineChar1 and 2
  b.writeUInt16LE(COMPRESS_DEFLATE, 77);
  return b;
}

function metadataMarker(numSectors: number, type: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.writeBigUInt64LE(BigInt(numSectors), 0);
  b.writeUInt32LE(0, 8); // size 0: a metadata marker, not a grain marker
  b.writeUInt32LE(type, 12);
  return b;
}

function vmdkDescriptor(fileName: string, capacitySectors: number, idHash: string): string {
  const { cylinders, heads, sectors } = scsiGeometry(capacitySectors);
  return [
    '# Disk DescriptorFile',
    'version=1',
    'encoding="UTF-8"',
    `CID=${idHash.slice(0, 8)}`,
    'parentCID=ffffffff',
    'createType="streamOptimized"',
    '',
    '# Extent description',
    `RW ${capacitySectors} SPARSE "${fileName}"`,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.adapterType = "lsilogic"',
    `ddb.geometry.cylinders = "${cylinders}"`,
    `ddb.geometry.heads = "${heads}"`,
    `ddb.geometry.sectors = "${sectors}"`,
    `ddb.longContentID = "${idHash.slice(8, 40)}"`,
    'ddb.virtualHWVersion = "4"',
    '',
  ].join('\n');
}

/** The CHS geometry VMware reports for a SCSI disk of the given size. */
function scsiGeometry(capacitySectors: number): { cylinders: number; heads: number; sectors: number } {
  const GiB = 1024 ** 3 / SECTOR;
  const [heads, sectors] =
    capacitySectors < GiB ? [64, 32] : capacitySectors < 2 * GiB ? [128, 32] : [255, 63];
  return {
    cylinders: Math.min(65535, Math.max(1, Math.floor(capacitySectors / (heads * sectors)))),
    heads,
    sectors,
  };
}

function padTo(b: Buffer, unit: number): Buffer {
  const rest = b.length % unit;
  return rest === 0 ? b : Buffer.concat([b, Buffer.alloc(unit - rest)]);
}

function isZero(b: Buffer): boolean {
  for (const byte of b) if (byte !== 0) return false;
  return true;
}
