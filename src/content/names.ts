// Safety rules for names that become path segments: item names, file names in items, OVA members, hrefs.
// A name that fails here could escape its folder or break an href, so callers reject it as bad input.

/** vCenter's limit on item names (longer names are cut by some tools). */
export const MAX_ITEM_NAME_LENGTH = 80;

/**
 * Why name is not a safe single path segment, or undefined when it is.
 * Rejects empty names, `.` and `..`, slashes and backslashes, control characters,
 * and leading or trailing white space.
 */
export function unsafeSegmentReason(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name === '.' || name === '..') return `"${name}" refers to a folder, not a file`;
  if (name.includes('/') || name.includes('\\')) return 'it contains a slash (it must be a plain name)';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  if (name.trim() !== name) return 'it starts or ends with white space';
  return undefined;
}

/** Why name is not usable as an item name (a safe segment of at most 80 characters), or undefined. */
export function unsafeItemNameReason(name: string): string | undefined {
  const reason = unsafeSegmentReason(name);
  if (reason !== undefined) return reason;
  if ([...name].length > MAX_ITEM_NAME_LENGTH) {
    return `it is ${[...name].length} characters long (vCenter allows ${MAX_ITEM_NAME_LENGTH})`;
  }
  return undefined;
}

/** The lowercase extension of a file name including the dot ('' when there is none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

/** Orders names by UTF-16 code units (the same order on every machine, unlike localeCompare). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A file name's bytes as a message shows them when they are not valid UTF-8 (each byte that is not part of
 * a valid character as \xNN, e.g. "caf\xe9" for Latin-1), or undefined when they are valid UTF-8. Node
 * decodes such names with U+FFFD in place of the bad bytes, so the name it returns opens nothing.
 */
export function notUtf8(raw: Uint8Array): string | undefined {
  try {
    strictUtf8.decode(raw);
    return undefined;
  } catch {
    // shown below
  }
  let out = '';
  for (let i = 0; i < raw.length;) {
    const b = raw[i]!;
    const size = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 ? 4 : 0;
    if (size > 0 && i + size <= raw.length) {
      try {
        out += strictUtf8.decode(raw.subarray(i, i + size));
        i += size;
        continue;
      } catch {
        // not a valid character: the lead byte is shown as is
      }
    }
    out += `\\x${b.toString(16).padStart(2, '0')}`;
    i += 1;
  }
  return out;
}
