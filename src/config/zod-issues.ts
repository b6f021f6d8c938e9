// zod's issues in the words of a configuration file: "expected "native" or "mirror", got "nativ"",
// "unknown field (did you mean "mode"?)", "required field missing". Values are echoed only when short and
// from a field with a fixed set of choices; never a long string (it could be a secret).

import { z } from 'zod';
import type { FieldPath, PendingIssue } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

/** The problems of one failed parse, with the value each concerns looked up in data. */
export function describeZodIssues(
  issues: readonly Issue[],
  data: unknown,
  schema: z.ZodType,
): PendingIssue[] {
  const out: PendingIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, path);
      for (const key of issue.keys) {
        const guess = closest(key, known);
        out.push({
          path: [...path, key],
          at: 'key',
          message:
            `unknown field` +
            (guess !== undefined
              ? ` (did you mean "${guess}"?)`
              : known.length > 0
                ? `; fields here: ${known.join(', ')}`
                : ''),
        });
      }
      continue;
    }
    const value = valueAt(data, path);
    if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
      const expected =
        issue.code === 'invalid_type'
          ? expectedName(issue.expected)
          : oneOf(issue.values.map((v) => JSON.stringify(v)));
      out.push({ path, at: 'parent', message: `required field missing (${expected})` });
    } else if (issue.code === 'invalid_type') {
      out.push({ path, at: 'value', message: typeMessage(issue.expected, value, path) });
    } else if (issue.code === 'invalid_value') {
      const choices = issue.values.map((v) => JSON.stringify(v));
      const guess = typeof value === 'string' ? closest(value, issue.values.map(String)) : undefined;
      out.push({
        path,
        at: 'value',
        message:
          `expected ${oneOf(choices)}, got ${show(value)}` +
          (guess === undefined ? '' : ` (did you mean "${guess}"?)`),
      });
    } else {
      out.push({ path, at: 'value', message: issue.message });
    }
  }
  return out;
}

function typeMessage(expected: string, value: unknown, path: FieldPath): string {
  if (value === null) return `has no value (expected ${expectedName(expected)})`;
  if (path[path.length - 1] === 'account' && typeof value === 'number') {
    return 'write the account id in quotes, e.g. account: "123456789012" (as a number, YAML would drop leading zeros)';
  }
  return `expected ${expectedName(expected)}, got ${show(value)}`;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'string':
      return 'text';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping of fields';
    case 'number':
      return 'a number';
    default:
      return expected;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return `${value}`;
  return `a ${typeof value}`;
}

/** A value fit to echo: short text and numbers; anything else by its kind only. */
function show(value: unknown): string {
  if (typeof value === 'string' && value.length <= 40 && !/[\0-\x1f]/.test(value))
    return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return kindOf(value);
}

function oneOf(choices: string[]): string {
  if (choices.length <= 1) return choices[0] ?? 'nothing';
  return `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}

function valueAt(data: unknown, path: FieldPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** The field names the schema allows at a path (for "did you mean"). */
export function knownKeys(schema: z.ZodType, path: FieldPath): string[] {
  let s: z.ZodType | undefined = schema;
  for (const seg of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject && typeof seg === 'string') s = s.shape[seg] as z.ZodType | undefined;
    else if (s instanceof z.ZodArray && typeof seg === 'number') s = s.element as z.ZodType;
    else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  let cur = s;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault) cur = cur.unwrap() as z.ZodType;
  return cur;
}

/** The candidate nearest to a mistyped word (case-insensitive edit distance ≤ 2, or a prefix), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const prefixOf = candidates.find((c) => w.length >= 4 && c.toLowerCase().startsWith(w));
  if (prefixOf !== undefined && bestDistance > 1) return prefixOf;
  const limit = Math.min(2, Math.floor(Math.max(word.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}
