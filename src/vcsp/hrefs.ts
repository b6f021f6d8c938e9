// Safe hrefs: checks path segments, builds URL-encoded hrefs, and parses hrefs from untrusted VCSP
// documents so that no href can escape the library root (traversal, absolute URLs, double encoding).

import { ClaasError, badInput } from '../errors.js';

/** vCenter's limit on item names; longer names are cut by some tools. */
export const MAX_ITEM_NAME_CHARS = 80;
const MAX_SEGMENT_BYTES = 255;
const MAX_HREF_CHARS = 4096;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Percent-encoded dot, slash or backslash left in a segment after decoding: double encoding. */
const ENCODED_SEPARATOR = /%(2e|2f|5c)/i;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

const HREF_HINT =
  'The publisher wrote an href that could point outside the library; hrefs must be relative paths ' +
  'below the library root. Ask its owner to fix the library, or do not use it.';

/** Why a decoded path segment is unsafe, or undefined when it is safe. */
function segmentProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name === '.' || name === '..') return `is "${name}"`;
  if (/[/\\]/.test(name)) return 'contains a slash or backslash';
  if (CONTROL_CHARS.test(name)) return 'contains a control character';
  if (LONE_SURROGATE.test(name)) return 'is not valid Unicode';
  if (name.trim() !== name) return 'starts or ends with whitespace';
  if (Buffer.byteLength(name, 'utf8') > MAX_SEGMENT_BYTES) return `is longer than ${MAX_SEGMENT_BYTES} bytes`;
  if (ENCODED_SEPARATOR.test(name)) return 'contains a percent-encoded dot, slash or backslash';
  return undefined;
}

/** True when name can be one path segment of a key or href (a folder or file name). */
export function isSafeSegment(name: string): boolean {
  return segmentProblem(name) === undefined;
}

/** Throws BAD_INPUT unless name is a safe item (folder) name of at most 80 characters. */
export function assertSafeItemName(name: string, input: string): void {
  const problem = segmentProblem(name);
  const chars = [...name].length;
  const why =
    problem ?? (chars > MAX_ITEM_NAME_CHARS ? `has ${chars} characters (vCenter allows 80)` : undefined);
  if (why === undefined) return;
  throw badInput(
    `Item name ${JSON.stringify(name)} ${why}`,
    input,
    `Rename the folder or file so that the item name is at most ${MAX_ITEM_NAME_CHARS} characters, ` +
      'has no slashes, backslashes or control characters, and is not "." or "..".',
  );
}

/** Builds a relative href from raw segments, each URL-encoded. Throws BAD_INPUT on unsafe segments. */
export function encodeHref(segments: string[]): string {
  if (segments.length === 0) throw badInput('An href needs at least one path segment', '(empty href)');
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) {
      throw badInput(
        `The name ${JSON.stringify(segment)} ${problem} and cannot be part of a library path`,
        segment,
        'Rename the file or folder.',
      );
    }
  }
  return segments.map((segment) => encodeURIComponent(segment)).join('/');
}

/** Decodes a relative href, or says why it is unsafe. */
function tryDecodeHref(href: string): { segments: string[] } | { problem: string } {
  if (typeof href !== 'string') return { problem: 'is not a string' };
  if (href.length === 0) return { problem: 'is empty' };
  if (href.length > MAX_HREF_CHARS) return { problem: `is longer than ${MAX_HREF_CHARS} characters` };
  if (CONTROL_CHARS.test(href)) return { problem: 'contains a control character' };
  if (href.includes('\\')) return { problem: 'contains a backslash' };
  if (href.startsWith('/')) return { problem: 'is absolute (starts with "/")' };
  if (URL_SCHEME.test(href)) return { problem: 'is an absolute URL' };
  if (/[?#]/.test(href)) return { problem: 'has a query or fragment' };
  const raw = href.split('/');
  if (raw[0]?.includes(':')) return { problem: 'has a colon in its first segment' };
  const segments: string[] = [];
  for (const segment of raw) {
    if (segment.length === 0) return { problem: 'has an empty path segment' };
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { problem: `segment ${JSON.stringify(segment)} has invalid percent-encoding` };
    }
    const problem = segmentProblem(decoded);
    if (problem !== undefined) return { problem: `segment ${JSON.stringify(segment)} ${problem}` };
    segments.push(decoded);
  }
  return { segments };
}

/** Why an href from an untrusted document is unsafe, or undefined when it is a safe relative path. */
export function hrefProblem(href: string): string | undefined {
  const result = tryDecodeHref(href);
  return 'problem' in result ? result.problem : undefined;
}

/**
 * Parses a relative href from an untrusted document into its decoded segments. Throws PROTOCOL on
 * anything that is not a plain relative path below the library root.
 */
export function decodeHref(href: string, input: string): string[] {
  const result = tryDecodeHref(href);
  if ('segments' in result) return result.segments;
  const shown = JSON.stringify(String(href).slice(0, 200));
  throw new ClaasError('PROTOCOL', `${input}: unsafe href ${shown}: ${result.problem}`, {
    input,
    hint: HREF_HINT,
  });
}

/** The store key (relative to the library root) an href names. */
export function hrefToKey(href: string, input: string): string {
  return decodeHref(href, input).join('/');
}

/**
 * The absolute URL of a relative href from a lib.json fetched at libUrl: the href replaces the last
 * segment of the lib.json URL. The href keeps its own encoding.
 */
export function resolveItemsHref(libUrl: string, href: string): string {
  let base: URL;
  try {
    base = new URL(libUrl);
  } catch {
    throw badInput(
      'Not a valid URL',
      '(lib.json URL)',
      'Give the full URL of the lib.json, e.g. https://host/lib.json.',
    );
  }
  // Name the URL in errors without credentials or a query (it may hold a signature).
  decodeHref(href, `${base.origin}${base.pathname}`);
  return new URL(href, base).toString();
}
