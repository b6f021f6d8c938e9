// Writes an ISO 9660 (ECMA-119) image for the demo's sample content and for tests, the minimum a reader
// needs: 16 system sectors, the primary volume descriptor, the set terminator, little- and big-endian path
// tables, the root directory, then the file extents. Deterministic: every date is SAMPLE_TIME.

import { writeFile } from 'node:fs/promises';

/** The one timestamp written wherever the format carries one. */
const SAMPLE_TIME = new Date(Date.UTC(2025, 0, 1, 0, 0, 0));

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

function padRight(s: string, width: number): string {
  return s.padEnd(width, ' ').slice(0, width);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
