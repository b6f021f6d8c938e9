// Generated sample content for `claas demo` and for tests: small but valid streamOptimized VMDK disks,
// ISO 9660 images, OVF descriptors and manifests, and a whole sample source folder built from them.
// Everything is deterministic (fixed timestamps, ids derived from the content), so writing the same
// sample twice gives identical bytes and therefore identical content hashes.

import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { deflateSync } from 'node:zlib';

import { sha256File } from '../content/hash.js';

/** The one timestamp written wherever a format carries one (ISO 9660 dates). */
export const SAMPLE_TIME = new Date(Date.UTC(2025, 0, 1, 0, 0, 0));

// ---------------------------------------------------------------------------------------------------
// streamOptimized VMDK (VMware "Virtual Disk Format 5.0", section "Stream-Optimized Compressed Sparse
// Extents"): a sparse extent header, the embedded descriptor, deflated grains each behind a grain
// marker, grain tables and the grain directory behind metadata markers, a footer (a copy of the header
// that holds the real grain directory offset), and an end-of-stream marker. All offsets are in sectors.

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

// ---------------------------------------------------------------------------------------------------
// ISO 9660 (ECMA-119), the minimum a reader needs: 16 system sectors, the primary volume descriptor,
// the set terminator, little- and big-endian path tables, the root directory, then the file extents.

const ISO_SECTOR = 2048;
const ISO_PAD_SECTORS = 150;

export interface Iso9660Options {
  /** Volume identifier: d-characters (A-Z, 0-9, _), at most 32; lowercase letters are made uppercase. */
  volumeId: string;
  /** Files in the root directory; names are made uppercase and must be d-characters with one optional dot. */
  files: { name: string; data: Buffer }[];
}

/** Writes a minimal valid ISO 9660 image with the given files in its root directory. */
export async function writeIso9660(path: string, o: Iso9660Options): Promise<void> {
  await writeFile(path, buildIso9660(o));
}

function buildIso9660(o: Iso9660Options): Buffer {
  const volumeId = o.volumeId.toUpperCase();
  if (!/^[A-Z0-9_]{1,32}$/.test(volumeId)) {
    throw new RangeError(`ISO volume id must be 1 to 32 d-characters (A-Z 0-9 _), got "${o.volumeId}"`);
  }
  const files = o.files.map((f) => ({ ...isoFileName(f.name), data: f.data }));
  files.sort((a, b) => compare(a.base, b.base) || compare(a.ext, b.ext));
  for (let i = 1; i < files.length; i++) {
    if (files[i]?.id === files[i - 1]?.id) throw new RangeError(`duplicate ISO file name ${files[i]?.id}`);
  }

  const PVD = 16;
  const PATH_TABLE_L = 18;
  const PATH_TABLE_M = 19;
  const ROOT = 20;
  const date = dirRecordDate(SAMPLE_TIME);

  // Lay out the root directory records (a record never crosses a sector boundary).
  const entries = [
    { id: Buffer.from([0]), dir: true, file: undefined },
    { id: Buffer.from([1]), dir: true, file: undefined },
    ...files.map((f) => ({ id: Buffer.from(f.id, 'ascii'), dir: false, file: f })),
  ];
  const lengths = entries.map((e) => 33 + e.id.length + (e.id.length % 2 === 0 ? 1 : 0));
  let rootSectors = 1;
  let used = 0;
  for (const len of lengths) {
    if (used + len > ISO_SECTOR) {
      rootSectors++;
      used = 0;
    }
    used += len;
  }
  let next = ROOT + rootSectors;
  const extents = files.map((f) => {
    const at = next;
    next += Math.ceil(f.data.length / ISO_SECTOR);
    return at;
  });
  // Trailing zero sectors, counted in the volume size, as genisoimage writes by default: some readers
  // read ahead past the last file (libarchive does not even recognise an image under 48 KiB).
  const totalSectors = next + ISO_PAD_SECTORS;

  const rootRecord = (id: Buffer): Buffer =>
    dirRecord({ id, extent: ROOT, size: rootSectors * ISO_SECTOR, dir: true, date });
  const root = Buffer.alloc(rootSectors * ISO_SECTOR);
  let pos = 0;
  entries.forEach((e, i) => {
    const rec = e.file
      ? dirRecord({ id: e.id, extent: extents[i - 2] ?? 0, size: e.file.data.length, dir: false, date })
      : rootRecord(e.id);
    if ((pos % ISO_SECTOR) + rec.length > ISO_SECTOR) pos = Math.ceil(pos / ISO_SECTOR) * ISO_SECTOR;
    rec.copy(root, pos);
    pos += rec.length;
  });

  const pathTable = (littleEndian: boolean): Buffer => {
    const b = Buffer.alloc(ISO_SECTOR);
    b.writeUInt8(1, 0); // length of directory identifier
    b.writeUInt8(0, 1); // extended attribute record length
    if (littleEndian) {
      b.writeUInt32LE(ROOT, 2);
      b.writeUInt16LE(1, 6); // parent directory number
    } else {
      b.writeUInt32BE(ROOT, 2);
      b.writeUInt16BE(1, 6);
    }
    return b; // identifier byte 0 (the root) and the pad byte are already zero
  };

  const image = Buffer.alloc(totalSectors * ISO_SECTOR);
  const pvd = image.subarray(PVD * ISO_SECTOR, (PVD + 1) * ISO_SECTOR);
  pvd.writeUInt8(1, 0); // primary volume descriptor
  pvd.write('CD001', 1, 'ascii');
  pvd.writeUInt8(1, 6);
  pvd.write(padRight('CLAAS', 32), 8, 'ascii'); // system identifier
  pvd.write(padRight(volumeId, 32), 40, 'ascii');
  both32(pvd, 80, totalSectors);
  both16(pvd, 120, 1); // volume set size
  both16(pvd, 124, 1); // volume sequence number
  both16(pvd, 128, ISO_SECTOR);
  both32(pvd, 132, 10); // path table size: the root entry only
  pvd.writeUInt32LE(PATH_TABLE_L, 140);
  pvd.writeUInt32BE(PATH_TABLE_M, 148);
  rootRecord(Buffer.from([0])).copy(pvd, 156);
  pvd.write(padRight('', 128), 190, 'ascii'); // volume set identifier
  pvd.write(padRight('', 128), 318, 'ascii'); // publisher
  pvd.write(padRight('', 128), 446, 'ascii'); // data preparer
  pvd.write(padRight('CLAAS SAMPLE CONTENT', 128), 574, 'ascii'); // application
  pvd.write(padRight('', 37 * 3), 702, 'ascii'); // copyright, abstract and bibliographic file identifiers
  pvdDate(SAMPLE_TIME).copy(pvd, 813); // creation
  pvdDate(SAMPLE_TIME).copy(pvd, 830); // modification
  pvdDate(undefined).copy(pvd, 847); // expiration: not specified
  pvdDate(undefined).copy(pvd, 864); // effective: not specified
  pvd.writeUInt8(1, 881); // file structure version

  const terminator = image.subarray((PVD + 1) * ISO_SECTOR);
  terminator.writeUInt8(255, 0);
  terminator.write('CD001', 1, 'ascii');
  terminator.writeUInt8(1, 6);

  pathTable(true).copy(image, PATH_TABLE_L * ISO_SECTOR);
  pathTable(false).copy(image, PATH_TABLE_M * ISO_SECTOR);
  root.copy(image, ROOT * ISO_SECTOR);
  files.forEach((f, i) => f.data.copy(image, (extents[i] ?? 0) * ISO_SECTOR));
  return image;
}

function isoFileName(name: string): { base: string; ext: string; id: string } {
  const upper = name.toUpperCase();
  const m = /^([A-Z0-9_]*)(?:\.([A-Z0-9_]*))?$/.exec(upper);
  const base = m?.[1] ?? '';
  const ext = m?.[2] ?? '';
  if (!m || base.length + ext.length === 0 || base.length + ext.length > 30) {
    throw new RangeError(
      `ISO file name must be d-characters (A-Z 0-9 _) with at most one dot, got "${name}"`,
    );
  }
  return { base, ext, id: `${base}.${ext};1` };
}

function dirRecord(r: { id: Buffer; extent: number; size: number; dir: boolean; date: Buffer }): Buffer {
  const len = 33 + r.id.length + (r.id.length % 2 === 0 ? 1 : 0);
  const b = Buffer.alloc(len);
  b.writeUInt8(len, 0);
  b.writeUInt8(0, 1); // extended attribute record length
  both32(b, 2, r.extent);
  both32(b, 10, r.size);
  r.date.copy(b, 18);
  b.writeUInt8(r.dir ? 2 : 0, 25); // flags: 2 = directory
  b.writeUInt8(0, 26); // file unit size (not interleaved)
  b.writeUInt8(0, 27); // interleave gap
  both16(b, 28, 1); // volume sequence number
  b.writeUInt8(r.id.length, 32);
  r.id.copy(b, 33);
  return b;
}

function dirRecordDate(d: Date): Buffer {
  return Buffer.from([
    d.getUTCFullYear() - 1900,
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    0, // offset from GMT in 15-minute steps
  ]);
}

function pvdDate(d: Date | undefined): Buffer {
  const b = Buffer.alloc(17);
  if (!d) {
    b.write('0'.repeat(16), 0, 'ascii');
    return b;
  }
  const two = (n: number): string => String(n).padStart(2, '0');
  const text =
    String(d.getUTCFullYear()).padStart(4, '0') +
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds()) +
    '00';
  b.write(text, 0, 'ascii');
  return b; // byte 16, the GMT offset, stays 0
}

function both16(b: Buffer, at: number, v: number): void {
  b.writeUInt16LE(v, at);
  b.writeUInt16BE(v, at + 2);
}

function both32(b: Buffer, at: number, v: number): void {
  b.writeUInt32LE(v, at);
  b.writeUInt32BE(v, at + 4);
}

// ---------------------------------------------------------------------------------------------------
// OVF descriptor and manifest, shaped the way VMware's ovftool writes them (OVF 1.x namespaces, rasd
// elements in schema order, InstanceIDs counting up, the disk's Parent naming the SCSI controller).

export const STREAM_OPTIMIZED_FORMAT =
  'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized';

export interface OvfDescriptorOptions {
  /** Name of the virtual machine (and of the vApp when vapp is true). */
  name: string;
  /** File name of the disk, relative to the descriptor. */
  diskFile: string;
  /** Size of the disk file in bytes. */
  diskFileSize: number;
  /** Virtual disk size in bytes. */
  capacityBytes: number;
  annotation?: string;
  /** Wrap the virtual machine in a VirtualSystemCollection (a vApp template). */
  vapp?: boolean;
}

/** An OVF 1.x envelope for a one-disk, one-NIC Linux virtual machine (or a vApp holding it). */
export function ovfDescriptor(o: OvfDescriptorOptions): string {
  const x = xmlEscape;
  const vmId = o.vapp ? `${o.name}-vm` : o.name;
  const annotation =
    o.annotation === undefined
      ? []
      : [
          '<AnnotationSection ovf:required="false">',
          '  <Info>A human-readable annotation</Info>',
          `  <Annotation>${x(o.annotation)}</Annotation>`,
          '</AnnotationSection>',
        ];
  const item = (fields: [string, string | number][]): string[] => [
    '<Item>',
    ...fields.map(([k, v]) => `  <rasd:${k}>${x(String(v))}</rasd:${k}>`),
    '</Item>',
  ];
  const virtualSystem = [
    `<VirtualSystem ovf:id="${x(vmId)}">`,
    '  <Info>A virtual machine</Info>',
    `  <Name>${x(vmId)}</Name>`,
    ...indent(2, [
      '<OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">',
      '  <Info>The kind of installed guest operating system</Info>',
      '</OperatingSystemSection>',
      '<VirtualHardwareSection>',
      '  <Info>Virtual hardware requirements</Info>',
      '  <System>',
      '    <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>',
      '    <vssd:InstanceID>0</vssd:InstanceID>',
      `    <vssd:VirtualSystemIdentifier>${x(vmId)}</vssd:VirtualSystemIdentifier>`,
      '    <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>',
      '  </System>',
      ...indent(2, [
        ...item([
          ['AllocationUnits', 'hertz * 10^6'],
          ['Description', 'Number of Virtual CPUs'],
          ['ElementName', '1 virtual CPU(s)'],
          ['InstanceID', 1],
          ['ResourceType', 3],
          ['VirtualQuantity', 1],
        ]),
        ...item([
          ['AllocationUnits', 'byte * 2^20'],
          ['Description', 'Memory Size'],
          ['ElementName', '512MB of memory'],
          ['InstanceID', 2],
          ['ResourceType', 4],
          ['VirtualQuantity', 512],
        ]),
        ...item([
          ['Address', 0],
          ['Description', 'SCSI Controller'],
          ['ElementName', 'SCSI Controller 0'],
          ['InstanceID', 3],
          ['ResourceSubType', 'lsilogic'],
          ['ResourceType', 6],
        ]),
        ...item([
          ['AddressOnParent', 0],
          ['ElementName', 'Hard Disk 1'],
          ['HostResource', 'ovf:/disk/vmdisk1'],
          ['InstanceID', 4],
          ['Parent', 3],
          ['ResourceType', 17],
        ]),
        ...item([
          ['AddressOnParent', 7],
          ['AutomaticAllocation', 'true'],
          ['Connection', 'VM Network'],
          ['Description', 'VmxNet3 ethernet adapter on "VM Network"'],
          ['ElementName', 'Network adapter 1'],
          ['InstanceID', 5],
          ['ResourceSubType', 'VmxNet3'],
          ['ResourceType', 10],
        ]),
      ]),
      '</VirtualHardwareSection>',
      ...(o.vapp ? [] : annotation),
    ]),
    '</VirtualSystem>',
  ];
  const content = o.vapp
    ? [
        `<VirtualSystemCollection ovf:id="${x(o.name)}">`,
        '  <Info>A collection of virtual machines</Info>',
        `  <Name>${x(o.name)}</Name>`,
        '  <StartupSection>',
        '    <Info>VApp startup section</Info>',
        `    <Item ovf:id="${x(vmId)}" ovf:order="0" ovf:startAction="powerOn" ovf:startDelay="0" ovf:stopAction="powerOff" ovf:stopDelay="0"/>`,
        '  </StartupSection>',
        ...indent(2, annotation),
        ...indent(2, virtualSystem),
        '</VirtualSystemCollection>',
      ]
    : virtualSystem;

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"' +
      ' xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common"' +
      ' xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"' +
      ' xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"' +
      ' xmlns:vmw="http://www.vmware.com/schema/ovf"' +
      ' xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"' +
      ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    ...indent(2, [
      '<References>',
      `  <File ovf:href="${x(o.diskFile)}" ovf:id="file1" ovf:size="${o.diskFileSize}"/>`,
      '</References>',
      '<DiskSection>',
      '  <Info>Virtual disk information</Info>',
      `  <Disk ovf:capacity="${o.capacityBytes}" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="${STREAM_OPTIMIZED_FORMAT}"/>`,
      '</DiskSection>',
      '<NetworkSection>',
      '  <Info>The list of logical networks</Info>',
      '  <Network ovf:name="VM Network">',
      '    <Description>The VM Network network</Description>',
      '  </Network>',
      '</NetworkSection>',
      ...content,
    ]),
    '</Envelope>',
    '',
  ].join('\n');
}

/** An OVF manifest: one `SHA256(name)= hex` line per file, in the order given. */
export function ovfManifest(files: { name: string; sha256: string }[]): string {
  return files.map((f) => `SHA256(${f.name})= ${f.sha256}\n`).join('');
}

// ---------------------------------------------------------------------------------------------------
// The sample source folder used by `claas demo`.

export const SAMPLE_OVF_NAME = 'photon-mini';
export const SAMPLE_DISK_CAPACITY = 64 * 1024 * 1024;

/**
 * Creates a sample source folder in dir: an OVF template folder `photon-mini/` (descriptor,
 * streamOptimized disk, manifest), an ISO image `tools.iso` and a plain file `README.txt`.
 * Returns the names of the entries it created at the top of dir.
 */
export async function writeSampleSource(dir: string): Promise<{ items: string[] }> {
  const name = SAMPLE_OVF_NAME;
  const ovfDir = join(dir, name);
  await mkdir(ovfDir, { recursive: true });

  const ovfFile = `${name}.ovf`;
  const diskFile = `${name}-disk1.vmdk`;
  const mfFile = `${name}.mf`;
  await writeStreamOptimizedVmdk(join(ovfDir, diskFile), {
    capacityBytes: SAMPLE_DISK_CAPACITY,
    data: sampleDiskData(),
  });
  const diskFileSize = (await stat(join(ovfDir, diskFile))).size;
  await writeFile(
    join(ovfDir, ovfFile),
    ovfDescriptor({
      name,
      diskFile,
      diskFileSize,
      capacityBytes: SAMPLE_DISK_CAPACITY,
      annotation:
        'claas sample template: a tiny virtual machine with an almost empty disk. It does not boot.',
    }),
  );
  const manifest = ovfManifest([
    { name: ovfFile, sha256: await sha256File(join(ovfDir, ovfFile)) },
    { name: diskFile, sha256: await sha256File(join(ovfDir, diskFile)) },
  ]);
  await writeFile(join(ovfDir, mfFile), manifest);

  await writeIso9660(join(dir, 'tools.iso'), {
    volumeId: 'CLAAS_TOOLS',
    files: [
      {
        name: 'README.TXT',
        data: Buffer.from(
          'claas sample ISO image.\r\n' +
            'Published as an ISO item of a vSphere Content Library; mount it on a virtual machine.\r\n',
        ),
      },
    ],
  });

  await writeFile(
    join(dir, 'README.txt'),
    [
      'claas sample source',
      '',
      'This folder was generated by claas as sample content for a vSphere Content Library:',
      `- ${name}/     an OVF template (descriptor, streamOptimized disk, SHA-256 manifest): a vcsp.ovf item`,
      '- tools.iso        an ISO 9660 image with one README.TXT: a vcsp.iso item',
      '- README.txt       this file: a vcsp.other item',
      '',
      'The virtual machine is not bootable; its disk holds a few KB of text. The files are',
      'deterministic, so generating them again gives the same bytes and the same hashes.',
      '',
    ].join('\n'),
  );
  return { items: [name, 'tools.iso', 'README.txt'] };
}

/** A few KB of readable, deterministic text for the start of the sample disk. */
function sampleDiskData(): Buffer {
  const lines: string[] = [];
  for (let i = 1; i <= 64; i++) {
    lines.push(
      `claas sample disk, line ${String(i).padStart(2, '0')}: not a bootable system.`.padEnd(63) + '\n',
    );
  }
  return Buffer.from(lines.join(''), 'ascii');
}

// ---------------------------------------------------------------------------------------------------

function padTo(b: Buffer, unit: number): Buffer {
  const rest = b.length % unit;
  return rest === 0 ? b : Buffer.concat([b, Buffer.alloc(unit - rest)]);
}

function isZero(b: Buffer): boolean {
  for (const byte of b) if (byte !== 0) return false;
  return true;
}

function padRight(s: string, width: number): string {
  return s.padEnd(width, ' ').slice(0, width);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function indent(n: number, lines: string[]): string[] {
  const pad = ' '.repeat(n);
  return lines.map((l) => pad + l);
}

function xmlEscape(s: string): string {
  const entities: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&apos;',
  };
  return s.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}
