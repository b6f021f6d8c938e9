// Decoding of one 512-byte tar header (ustar, GNU and pax variants) with checksum validation.
// tar-stream's decoder is not importable (its package exports only the stream API), so this is a
// minimal, careful one: enough to walk an OVA's headers with positional reads.

export const BLOCK = 512;

export interface TarHeader {
  /** Name from the header (prefix/name for ustar); pax `path` and GNU long names are applied by the caller. */
  name: string;
  /** Size of the member's data in bytes (before pax `size` overrides). */
  size: number;
  /** The type flag character: '0' regular file ('\0' is mapped to '0'), '5' directory, 'x' pax, 'L' GNU long name... */
  type: string;
}

/** Thrown for a header that is not a tar header; the caller turns it into BAD_INPUT naming the file. */
export class TarFormatError extends Error {}

/** True when the block is all zeros (end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function decodeString(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end++;
  return Buffer.from(block.buffer, block.byteOffset + offset, end - offset).toString('utf8');
}

/** A numeric field: octal text (NUL/space terminated) or GNU base-256 (high bit of first byte set). */
export function decodeNumber(block: Uint8Array, offset: number, length: number, field: string): number {
  const first = block[offset]!;
  if (first & 0x80) {
    if (first !== 0x80) throw new TarFormatError(`negative or oversized base-256 ${field}`);
    let value = 0;
    for (let i = offset + 1; i < offset + length; i++) {
      value = value * 256 + block[i]!;
      if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} is too large`);
    }
    return value;
  }
  const text = decodeString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`${field} "${text}" is not an octal number`);
  const value = parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} is too large`);
  return value;
}

function checksumOk(block: Uint8Array): boolean {
  const stored = decodeNumber(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Decodes a header block; throws TarFormatError when it is not a valid ustar/GNU header. */
export function decodeHeader(block: Uint8Array): TarHeader {
  if (block.length < BLOCK) throw new TarFormatError('short header block');
  const magic = decodeString(block, 257, 6);
  if (magic !== 'ustar' && magic !== 'ustar ') throw new TarFormatError('no ustar magic');
  if (!checksumOk(block)) throw new TarFormatError('header checksum mismatch');
  const flag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  let name = decodeString(block, 0, 100);
  // POSIX ustar splits long names into prefix/name; GNU uses that area for other fields.
  if (magic === 'ustar' && block[345] !== 0) name = `${decodeString(block, 345, 155)}/${name}`;
  return { name, size: decodeNumber(block, 124, 12, 'size'), type: flag };
}

/** Decodes pax extended header records (`<len> <key>=<value>\n`). */
export function decodePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] === 0) break;
    const space = buf.indexOf(0x20, pos);
    if (space < 0) throw new TarFormatError('malformed pax record');
    const len = Number(buf.toString('latin1', pos, space));
    if (!Number.isSafeInteger(len) || len <= space - pos + 1 || pos + len > buf.length) {
      throw new TarFormatError('malformed pax record length');
    }
    const record = buf.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq < 0 || buf[pos + len - 1] !== 0x0a) throw new TarFormatError('malformed pax record');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}
