// A parsed YAML file that remembers where every value came from, so that a problem found in the parsed data
// (a field path like replicas[0].mode) can be reported at its line and column. YAML syntax errors are
// reported the same way, without the source text they concern (it could hold a secret).

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node, Pair } from 'yaml';

export type FieldPath = ReadonlyArray<string | number>;

/** Alias expansion allowed when turning YAML into data (the yaml package's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

/** Which part of a field a problem concerns: its value, its key, or the mapping that should hold it. */
export type Anchor = 'value' | 'key' | 'parent';

/** One problem in a configuration file, at a place in it. */
export interface ConfigIssue {
  path: FieldPath;
  message: string;
  line: number;
  col: number;
}

/** A problem before its position is known. */
export interface PendingIssue {
  path: FieldPath;
  message: string;
  at: Anchor;
}

/** replicas[0].credentials.profile */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** file:line:col: path: message */
export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = `${file}:${issue.line}:${issue.col}`;
  return issue.path.length === 0
    ? `${where}: ${issue.message}`
    : `${where}: ${formatPath(issue.path)}: ${issue.message}`;
}

interface Located {
  node: Node | null;
  pair: Pair | undefined;
}

export class YamlSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /** YAML syntax errors (with positions); empty when the text parsed. */
  syntaxIssues(): ConfigIssue[] {
    return this.doc.errors.map((e) => ({
      path: [],
      // Messages like 'Unexpected scalar token in YAML stream: "..."' quote the source: cut that part.
      message: `YAML syntax: ${e.message.replace(/:\s*".*$/s, '')}`,
      ...this.lines.linePos(e.pos[0]),
    }));
  }

  /**
   * The data (plain JS values), or the problem that keeps it from being built: aliases of aliases that
   * would expand exponentially (a "billion laughs" file). Call only when syntaxIssues() is empty.
   */
  data(): { value: unknown } | { issue: ConfigIssue } {
    try {
      return { value: this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
    } catch (e) {
      if (!(e instanceof ReferenceError) || !/alias/i.test(e.message)) throw e;
      let offset = 0;
      visit(this.doc, {
        Alias(_key, node) {
          offset = node.range?.[0] ?? 0;
          return visit.BREAK;
        },
      });
      return {
        issue: {
          path: [],
          message:
            `YAML aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies of anchored values, ` +
            'the pattern of a resource-exhaustion ("billion laughs") file; refused',
          ...this.lines.linePos(offset),
        },
      };
    }
  }

  locate(pending: PendingIssue): ConfigIssue {
    return { path: pending.path, message: pending.message, ...this.position(pending.path, pending.at) };
  }

  /** Line and column (1-based) of a field's value, key, or the mapping that should hold it. */
  position(path: FieldPath, at: Anchor): { line: number; col: number } {
    const chain = this.walk(path);
    const last = chain[chain.length - 1];
    let offset: number | undefined;
    if (chain.length === path.length + 1 && last !== undefined && at !== 'parent') {
      const valueStart = last.node?.range?.[0];
      const keyStart = isPair(last.pair) && isNode(last.pair.key) ? last.pair.key.range?.[0] : undefined;
      const emptyValue = last.node === null || (isScalar(last.node) && last.node.value === null);
      offset = at === 'key' || emptyValue ? (keyStart ?? valueStart) : (valueStart ?? keyStart);
    }
    if (offset === undefined) {
      // The deepest part of the path that exists (for a missing field: the mapping that should hold it).
      const holder = chain.length === path.length + 1 ? chain[chain.length - 2] : last;
      offset = holder?.node?.range?.[0] ?? 0;
    }
    return this.lines.linePos(offset);
  }

  /** The nodes along a path from the document root, as far as the path exists. */
  private walk(path: FieldPath): Located[] {
    const chain: Located[] = [{ node: this.doc.contents, pair: undefined }];
    let node: Node | null = this.doc.contents;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc) ?? null;
      if (isMap(node)) {
        const pair = node.items.find((p) => scalarKey(p) === String(seg));
        if (pair === undefined) break;
        node = isNode(pair.value) ? pair.value : null;
        chain.push({ node, pair });
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        node = isNode(item) ? item : null;
        chain.push({ node, pair: undefined });
      } else {
        break;
      }
    }
    return chain;
  }

  /** Every mapping entry in the file with its path (depth first), for scans such as the secret check. */
  *entries(): Generator<{ path: FieldPath; key: string; value: Node | null }> {
    yield* entriesOf(this.doc.contents, []);
  }
}

function* entriesOf(
  node: unknown,
  path: FieldPath,
): Generator<{ path: FieldPath; key: string; value: Node | null }> {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = scalarKey(pair);
      if (key === undefined) continue;
      const value = isNode(pair.value) ? pair.value : null;
      yield { path: [...path, key], key, value };
      yield* entriesOf(value, [...path, key]);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) yield* entriesOf(item, [...path, i]);
  }
}

function scalarKey(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function isNode(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}
