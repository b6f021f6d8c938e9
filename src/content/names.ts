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
