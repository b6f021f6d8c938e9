// A small HCL emitter for the subset claas writes (Terraform for replication plans and lifecycle rules):
// blocks, attributes, strings (with ${ and %{ escaped), numbers, lists, objects, references and calls such as
// jsonencode(...). Consecutive attributes have their = aligned as `terraform fmt` does.

/** A reference or expression written as is (aws_iam_role.replication.arn). */
export class HclExpr {
  constructor(readonly text: string) {}
}

/** A function call: jsonencode({...}). */
export class HclCall {
  constructor(
    readonly name: string,
    readonly args: HclValue[],
  ) {}
}

export type HclValue =
  string | number | boolean | HclExpr | HclCall | HclValue[] | { [key: string]: HclValue };

export type HclItem =
  | { kind: 'attr'; name: string; value: HclValue }
  | { kind: 'block'; type: string; labels: string[]; body: HclItem[] }
  | { kind: 'comment'; lines: string[] }
  | { kind: 'blank' };

export const attr = (name: string, value: HclValue): HclItem => ({ kind: 'attr', name, value });
export const block = (type: string, labels: string[], body: HclItem[]): HclItem => ({
  kind: 'block',
  type,
  labels,
  body,
});
export const ref = (text: string): HclExpr => new HclExpr(text);

/** An HCL quoted string: escapes, and ${ / %{ doubled so they are not template sequences. */
export function hclString(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  // (A function replacement: in a replacement string "$$" would mean one "$".)
  return `"${out.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{')}"`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const KEYWORDS = new Set(['true', 'false', 'null', 'for', 'in', 'if']);

function objectKey(key: string): string {
  return IDENT.test(key) && !KEYWORDS.has(key) ? key : hclString(key);
}

function isScalar(v: HclValue): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof HclExpr;
}

/** A value at an indentation level (the value's first line is already positioned). */
export function hclValue(v: HclValue, indent: string): string {
  if (typeof v === 'string') return hclString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('HCL numbers must be finite');
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (v instanceof HclExpr) return v.text;
  if (v instanceof HclCall) return `${v.name}(${v.args.map((a) => hclValue(a, indent)).join(', ')})`;
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every(isScalar)) {
      const oneLine = `[${v.map((x) => hclValue(x, inner)).join(', ')}]`;
      if (oneLine.length + indent.length <= 100) return oneLine;
    }
    return `[\n${v.map((x) => `${inner}${hclValue(x, inner)},\n`).join('')}${indent}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return '{}';
  const keys = entries.map(([k]) => objectKey(k));
  const width = Math.max(...keys.map((k) => k.length));
  const lines = entries.map(
    ([, x], i) => `${inner}${(keys[i] ?? '').padEnd(width)} = ${hclValue(x, inner)}\n`,
  );
  return `{\n${lines.join('')}${indent}}`;
}

/** A body's items; consecutive attributes have their = aligned (as terraform fmt does). */
export function hclBody(items: HclItem[], indent = ''): string {
  let out = '';
  let i = 0;
  while (i < items.length) {
    const item = items[i];
    if (item === undefined) break;
    if (item.kind === 'attr') {
      let j = i;
      while (items[j]?.kind === 'attr') j++;
      const group = items.slice(i, j) as Array<Extract<HclItem, { kind: 'attr' }>>;
      const width = Math.max(...group.map((a) => a.name.length));
      for (const a of group) out += `${indent}${a.name.padEnd(width)} = ${hclValue(a.value, indent)}\n`;
      i = j;
      continue;
    }
    if (item.kind === 'blank') out += '\n';
    else if (item.kind === 'comment') out += item.lines.map((l) => `${indent}${l}\n`).join('');
    else {
      const labels = item.labels.map((l) => ` ${hclString(l)}`).join('');
      const body = item.body.length === 0 ? '' : `\n${hclBody(item.body, `${indent}  `)}${indent}`;
      out += `${indent}${item.type}${labels} {${body}}\n`;
    }
    i++;
  }
  return out;
}
