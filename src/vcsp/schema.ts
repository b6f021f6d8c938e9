// Strict parsing of VCSP documents (lib.json, items.json, item.json) and claas version snapshots
// from any publisher, treated as hostile input: bounded sizes and counts, safe hrefs, no prototype
// keys, values normalised to the TypeScript types. Quirks that vCenter tolerates are accepted here
// and reported by validate.ts.

import { z } from 'zod';
import { ClaasError } from '../errors.js';
import { typeMetadataEntry } from './build.js';
import { hrefProblem } from './hrefs.js';
import type { ItemJson, ItemsJson, LibJson, TypeMetadataEntry, VersionSnapshot } from './types.js';

const MAX_STRING_CHARS = 64 * 1024;
const MAX_ITEMS = 100_000;
const MAX_FILES_PER_ITEM = 10_000;
const MAX_FILE_SIZE = 64 * 2 ** 40; // 64 TiB
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * Arrays and objects nested in one another, at most. A VCSP document nests about 6 deep (snapshot → items →
 * item → files → file → hrefs); a deeper one is hostile, and refused before it is parsed.
 */
export const MAX_JSON_DEPTH = 64;

const HINT =
  'The document does not follow the VCSP format. Check that the URL or path names a content library ' +
  '(lib.json, items.json, item.json) and ask its publisher to fix the document.';

type Path = readonly PropertyKey[];

/** Where a value sits, as a link to its parent: O(1) per value, the full path built only for an error. */
interface PathLink {
  readonly key: PropertyKey;
  readonly parent: PathLink | undefined;
}

function pathOf(link: PathLink | undefined): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let l = link; l !== undefined; l = l.parent) path.push(l.key);
  return path.reverse();
}

/** `items[3].files[0].size` */
function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) out += `${out ? '.' : ''}${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(top level)';
}

function protocolError(input: string, path: Path, what: string): ClaasError {
  return new ClaasError('PROTOCOL', `${input}: ${formatPath(path)}: ${what}`, { input, hint: HINT });
}

// ---- JSON text ----

/** Where a JSON text first breaks the grammar, for a message that names a line and column. */
function jsonErrorOffset(text: string): number {
  const scalar =
    /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const key = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
  const open: string[] = [];
  let i = 0;
  let expect: 'value' | 'key' | 'colon' | 'after' = 'value';
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const match = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };
  for (;;) {
    skipSpace();
    const c = text.charAt(i);
    if (expect === 'value') {
      if (c === '{' || c === '[') {
        open.push(c === '{' ? '}' : ']');
        i++;
        skipSpace();
        if (text.charAt(i) === open.at(-1)) {
          open.pop();
          i++;
          expect = 'after';
        } else expect = c === '{' ? 'key' : 'value';
      } else if (match(scalar)) expect = 'after';
      else return i;
    } else if (expect === 'key') {
      if (!match(key)) return i;
      expect = 'colon';
    } else if (expect === 'colon') {
      if (c !== ':') return i;
      i++;
      expect = 'value';
    } else {
      const close = open.at(-1);
      if (close === undefined) return i; // trailing text (or the end, if the text is valid)
      if (c === ',') expect = close === '}' ? 'key' : 'value';
      else if (c === close) open.pop();
      else return i;
      i++;
    }
  }
}

/** Line and column (1-based) of an offset, for messages. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1) ?? '').length + 1 };
}

/**
 * Refuses a text whose arrays and objects nest deeper than MAX_JSON_DEPTH, in one pass over the characters
 * (brackets inside strings do not count), before anything is parsed or walked.
 */
function checkDepth(text: string, input: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_JSON_DEPTH) {
        const { line, column } = lineAndColumn(text, i);
        throw new ClaasError(
          'PROTOCOL',
          `${input}: JSON nested more than ${MAX_JSON_DEPTH} levels deep (at line ${line}, column ${column}); ` +
            'no VCSP document nests that deep',
          { input, hint: HINT },
        );
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
}

function parseJsonText(text: string, input: string): unknown {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  checkDepth(body, input);
  try {
    return JSON.parse(body) as unknown;
  } catch {
    const offset = jsonErrorOffset(body);
    const { line, column } = lineAndColumn(body, offset);
    const found = offset >= body.length ? 'the end of the text' : JSON.stringify(body.charAt(offset));
    throw new ClaasError(
      'PROTOCOL',
      `${input}: invalid JSON at line ${line}, column ${column} (offset ${offset}): unexpected ${found}`,
      { input, hint: HINT },
    );
  }
}

/**
 * Rejects prototype keys and overlong strings anywhere in a parsed document, ignored fields included. Each
 * value costs O(1): its path is a link to its parent, spelled out only for the error.
 */
function checkTree(root: unknown, input: string): void {
  const stack: [unknown, PathLink | undefined][] = [[root, undefined]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [value, at] = next;
    if (typeof value === 'string') {
      if (value.length > MAX_STRING_CHARS) {
        throw protocolError(input, pathOf(at), `string of ${value.length} characters is longer than 64 KiB`);
      }
    } else if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        stack.push([value[index], { key: index, parent: at }]);
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [key, element] of Object.entries(value)) {
        const link: PathLink = { key, parent: at };
        if (FORBIDDEN_KEYS.has(key)) throw protocolError(input, pathOf(link), 'forbidden key');
        if (key.length > MAX_STRING_CHARS) throw protocolError(input, pathOf(at), 'key longer than 64 KiB');
        stack.push([element, link]);
      }
    }
  }
}

// ---- field schemas ----

const text = z.string();
const nonEmpty = z.string().min(1, 'must not be empty');
const stringOrNumber = z.union([z.string(), z.number()], { error: 'must be a string or a number' });

/** A non-negative integer written as a number or a string of digits. */
function wholeNumber(limit: number, tooBig: string) {
  return stringOrNumber.transform((value, ctx) => {
    const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a non-negative integer, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    if (n > limit) {
      ctx.addIssue({ code: 'custom', message: `${tooBig}: ${String(value)}` });
      return z.NEVER;
    }
    return n;
  });
}

const version = wholeNumber(Number.MAX_SAFE_INTEGER, 'version too large').transform(String);
const size = wholeNumber(MAX_FILE_SIZE, 'absurd size (more than 64 TiB)');
const generationNum = wholeNumber(Number.MAX_SAFE_INTEGER, 'generationNum too large');

const href = z.string().superRefine((value, ctx) => {
  const problem = hrefProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `unsafe href: ${problem}` });
});

const itemType = z.enum(['vcsp.ovf', 'vcsp.iso', 'vcsp.other'], {
  error: 'unknown item type (expected vcsp.ovf, vcsp.iso or vcsp.other)',
});

const fileRecord = z
  .object({
    name: nonEmpty,
    size,
    etag: stringOrNumber.transform(String).optional(),
    generationNum: generationNum.optional(),
    hrefs: z.array(href).min(1, 'must list at least one href').max(100),
  })
  .transform((f) => ({
    name: f.name,
    size: f.size,
    // Another publisher may leave one of these out; validate.ts reports it.
    ...(f.etag === undefined ? {} : { etag: f.etag }),
    ...(f.generationNum === undefined ? {} : { generationNum: f.generationNum }),
    hrefs: [...f.hrefs],
  }));

/** Keeps the type-metadata entries; other metadata is not part of what claas reads or writes. */
const metadata = z
  .array(z.object({ key: z.string(), value: z.unknown() }))
  .max(1000)
  .transform((entries, ctx): TypeMetadataEntry[] => {
    const kept: TypeMetadataEntry[] = [];
    entries.forEach((entry, index) => {
      if (entry.key !== 'type-metadata') return;
      if (typeof entry.value !== 'string') {
        ctx.addIssue({ code: 'custom', path: [index, 'value'], message: 'must be a string (JSON text)' });
        return;
      }
      kept.push(typeMetadataEntry(entry.value));
    });
    return kept;
  });

const item = z
  .object({
    created: text,
    description: text.optional(),
    version,
    files: z.array(fileRecord).max(MAX_FILES_PER_ITEM, `more than ${MAX_FILES_PER_ITEM} files in one item`),
    id: nonEmpty,
    name: nonEmpty,
    metadata: metadata.optional(),
    properties: z.record(z.string(), z.string()).optional(),
    selfHref: href,
    type: itemType,
  })
  .transform(
    (i) =>
      ({
        created: i.created,
        description: i.description ?? '',
        version: i.version,
        files: i.files,
        id: i.id,
        name: i.name,
        ...(i.metadata === undefined ? {} : { metadata: i.metadata }),
        properties: Object.fromEntries(Object.entries(i.properties ?? {})),
        selfHref: i.selfHref,
        type: i.type,
      }) as ItemJson, // files may lack etag/generationNum: see fileRecord
  );

const items = z.array(item).max(MAX_ITEMS, `more than ${MAX_ITEMS} items`);

const capabilityList = z.array(text).max(100).optional();

const lib = z
  .object({
    vcspVersion: stringOrNumber.transform(String),
    version,
    contentVersion: stringOrNumber.transform(String).optional(),
    name: nonEmpty,
    description: text.optional(),
    id: nonEmpty,
    created: text,
    capabilities: z.object({ transferIn: capabilityList, transferOut: capabilityList }).optional(),
    itemsHref: href,
  })
  .transform((l): LibJson => ({
    vcspVersion: l.vcspVersion,
    version: l.version,
    contentVersion: l.contentVersion ?? '1',
    name: l.name,
    ...(l.description ? { description: l.description } : {}),
    id: l.id,
    created: l.created,
    capabilities: {
      transferIn: [...(l.capabilities?.transferIn ?? ['httpGet'])],
      transferOut: [...(l.capabilities?.transferOut ?? ['httpGet'])],
    },
    itemsHref: l.itemsHref,
  }));

const snapshot = z
  .object({
    format: z.literal('claas.version/1', { error: 'must be "claas.version/1"' }),
    lib,
    items,
    hashes: z.record(href, z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)')),
    committedAt: nonEmpty,
    publisher: text.optional(),
  })
  .transform((s): VersionSnapshot => ({
    format: s.format,
    lib: s.lib,
    items: s.items,
    hashes: Object.fromEntries(Object.entries(s.hashes)),
    committedAt: s.committedAt,
    ...(s.publisher === undefined ? {} : { publisher: s.publisher }),
  }));

// ---- documents ----

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues[0] !== undefined) return describeIssue(issue.issues[0]);
  return issue.code === 'invalid_type' && issue.message.endsWith('received undefined')
    ? `is missing (expected ${issue.expected})`
    : issue.message;
}

function parseDocument<T>(schema: z.ZodType<T>, text: string, input: string): T {
  const raw = parseJsonText(text, input);
  checkTree(raw, input);
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  if (first === undefined) throw protocolError(input, [], 'does not match the expected format');
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  throw protocolError(input, first.path, describeIssue(first) + more);
}

export function parseLibJson(text: string, input: string): LibJson {
  return parseDocument(lib, text, input);
}

export function parseItemsJson(text: string, input: string): ItemsJson {
  return parseDocument(
    z.object({ items }).transform((d) => ({ items: d.items })),
    text,
    input,
  );
}

export function parseItemJson(text: string, input: string): ItemJson {
  return parseDocument(item, text, input);
}

export function parseSnapshot(text: string, input: string): VersionSnapshot {
  return parseDocument(snapshot, text, input);
}
