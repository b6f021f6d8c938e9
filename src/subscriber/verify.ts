// `claas verify`: reads a library exactly as a subscribing vCenter does (lib.json, the items index, every
// item.json, every file) and reports each problem that would break or corrupt a sync. With `deep`, every
// file is read and checked against the content hashes known for it.

import { isClaasError } from '../errors.js';
import type { HashAlgo } from '../content/hash.js';
import { mapLimited } from '../util/pool.js';
import { hrefProblem, parseItemJson, parseItemsJson, parseLibJson, validateLibrary } from '../vcsp/index.js';
import type { FileRecord, ItemJson, LibJson, Problem } from '../vcsp/index.js';
import { digestStream, expectedDigests, manifestDigests, mismatches } from './content-check.js';
import type { ExpectedDigest } from './content-check.js';
import type { LibrarySource } from './reader.js';

export type VerifyEvent =
  | { type: 'document'; href: string }
  | { type: 'file-start'; item: string; file: string; size: number }
  | { type: 'file-progress'; item: string; file: string; bytes: number; size: number }
  | { type: 'file-done'; item: string; file: string; size: number; ok: boolean };

export interface VerifyOptions {
  /** Read every file and compare its content hash, not just its size. */
  deep: boolean;
  onProgress?: (e: VerifyEvent) => void;
  /** Files checked at once (default 4). */
  concurrency?: number;
}

export interface VerifyReport {
  url: string;
  library: { name: string; id: string; version: string };
  items: number;
  files: number;
  /** Sum of the sizes the file records declare. */
  bytes: number;
  problems: Problem[];
  /** No error-severity problems. */
  ok: boolean;
  /** Files whose content was compared with at least one known hash. */
  checkedHashes: number;
}

/** Errors that mean the whole source is unusable: stop rather than report one problem per file. */
function isFatal(e: unknown): boolean {
  return (
    isClaasError(e, 'AUTH') ||
    isClaasError(e, 'UNREACHABLE') ||
    (e as Error | undefined)?.name === 'AbortError'
  );
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface FileTask {
  item: ItemJson;
  index: number;
  hrefIndex: number;
  file: FileRecord;
  href: string;
  manifest: Map<string, ExpectedDigest> | undefined;
}

export async function verifyLibrary(src: LibrarySource, o: VerifyOptions): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const report = (
    lib: LibJson | undefined,
    items: ItemJson[],
    files: number,
    bytes: number,
    checked: number,
  ) => ({
    url: src.describe,
    library: { name: lib?.name ?? '', id: lib?.id ?? '', version: lib?.version ?? '' },
    items: items.length,
    files,
    bytes,
    problems,
    ok: !problems.some((p) => p.severity === 'error'),
    checkedHashes: checked,
  });

  // 1. lib.json: when it cannot be read at all, this is not a library (the error is thrown).
  o.onProgress?.({ type: 'document', href: src.libHref });
  const libText = (await src.getJson(src.libHref)).text;
  let lib: LibJson;
  try {
    lib = parseLibJson(libText, src.describe);
  } catch (e) {
    problems.push({ severity: 'error', where: 'lib.json', message: messageOf(e) });
    return report(undefined, [], 0, 0, 0);
  }

  // 2. The items index.
  let items: ItemJson[];
  try {
    o.onProgress?.({ type: 'document', href: lib.itemsHref });
    items = parseItemsJson((await src.getJson(lib.itemsHref)).text, lib.itemsHref).items;
  } catch (e) {
    if (isFatal(e)) throw e;
    problems.push({ severity: 'error', where: 'lib.json', field: 'itemsHref', message: messageOf(e) });
    return report(lib, [], 0, 0, 0);
  }

  // 3. Every item.json (what vCenter reads before an item's files).
  const concurrency = Math.max(1, o.concurrency ?? 4);
  const itemJsons = new Map<string, ItemJson>();
  const fetched = await mapLimited(items, concurrency, async (item): Promise<Problem[]> => {
    if (hrefProblem(item.selfHref) !== undefined) return []; // validateLibrary reports it
    try {
      o.onProgress?.({ type: 'document', href: item.selfHref });
      itemJsons.set(item.id, parseItemJson((await src.getJson(item.selfHref)).text, item.selfHref));
      return [];
    } catch (e) {
      if (isFatal(e)) throw e;
      const what = isClaasError(e, 'NOT_FOUND') ? `${item.selfHref} is missing` : messageOf(e);
      return [{ severity: 'error', where: itemWhere(item), field: 'selfHref', message: what }];
    }
  });
  problems.push(...fetched.flat());
  problems.push(...validateLibrary(lib, items, itemJsons));

  // 4. Files: existence and size, and with `deep` their content.
  const snapshotHashes = await snapshotHashesFor(src, lib, problems);
  const tasks: FileTask[] = [];
  let bytes = 0;
  let files = 0;
  for (const entry of items) {
    const item = itemJsons.get(entry.id) ?? entry;
    let manifest: Map<string, ExpectedDigest> | undefined;
    if (o.deep) {
      const m = await manifestDigests(src, item);
      manifest = m.digests;
      if (m.problem !== undefined)
        problems.push({ severity: 'warning', where: itemWhere(item), message: m.problem });
    }
    item.files.forEach((file, index) => {
      files++;
      bytes += Number.isSafeInteger(file.size) ? file.size : 0;
      file.hrefs.forEach((href, hrefIndex) => {
        if (hrefProblem(href) === undefined) tasks.push({ item, index, hrefIndex, file, href, manifest });
      });
    });
  }
  const results = await mapLimited(tasks, concurrency, (t) => checkFile(src, t, o, snapshotHashes));
  problems.push(...results.flatMap((r) => r.problems));
  return report(lib, items, files, bytes, results.filter((r) => r.hashChecked).length);
}

function itemWhere(item: ItemJson): string {
  return `item ${JSON.stringify(item.name)}`;
}

/** SHA-256 of every href from claas's snapshot of this version, when the source can see it. */
async function snapshotHashesFor(
  src: LibrarySource,
  lib: LibJson,
  problems: Problem[],
): Promise<Record<string, string> | undefined> {
  if (src.snapshot === undefined) return undefined;
  try {
    const snap = await src.snapshot(lib.version);
    if (snap === undefined) return undefined;
    if (snap.lib.id !== lib.id || snap.lib.version !== lib.version) {
      problems.push({
        severity: 'warning',
        where: 'lib.json',
        message: `claas's snapshot of version ${lib.version} belongs to another library or version; its hashes are not used`,
      });
      return undefined;
    }
    return snap.hashes;
  } catch (e) {
    if (isFatal(e)) throw e;
    problems.push({
      severity: 'warning',
      where: 'lib.json',
      message: `claas's snapshot of version ${lib.version} cannot be read: ${messageOf(e)}`,
    });
    return undefined;
  }
}

async function checkFile(
  src: LibrarySource,
  t: FileTask,
  o: VerifyOptions,
  snapshotHashes: Record<string, string> | undefined,
): Promise<{ problems: Problem[]; hashChecked: boolean }> {
  const where = itemWhere(t.item);
  const field = t.hrefIndex === 0 ? `files[${t.index}]` : `files[${t.index}].hrefs[${t.hrefIndex}]`;
  const name = JSON.stringify(t.file.name);
  const problem = (severity: Problem['severity'], message: string): Problem => ({
    severity,
    where,
    field,
    message,
  });
  const event = { item: t.item.name, file: t.file.name, size: t.file.size };
  o.onProgress?.({ type: 'file-start', ...event });
  const done = (problems: Problem[], hashChecked = false) => {
    o.onProgress?.({ type: 'file-done', ...event, ok: !problems.some((p) => p.severity === 'error') });
    return { problems, hashChecked };
  };

  let size: number | undefined;
  try {
    size = await src.size(t.href);
  } catch (e) {
    if (isFatal(e)) throw e;
    return done([problem('error', `${name} at ${t.href} cannot be checked: ${messageOf(e)}`)]);
  }
  if (size === undefined) return done([problem('error', `${name} is missing: ${t.href} does not exist`)]);
  if (size !== t.file.size) {
    return done([problem('error', `${name} at ${t.href} is ${size} bytes; its record says ${t.file.size}`)]);
  }
  if (!o.deep) return done([]);

  const expected = expectedDigests(t.file, t.href, snapshotHashes, t.manifest);
  if (expected.length === 0)
    return done([problem('warning', `${name}: no content hash known; size checked only`)]);
  const algos: HashAlgo[] = expected.map((d) => d.algo);
  let got;
  try {
    const stream = await src.open(t.href);
    got = await digestStream(stream, algos, (bytes) =>
      o.onProgress?.({ type: 'file-progress', ...event, bytes }),
    );
  } catch (e) {
    if (isFatal(e)) throw e;
    return done([problem('error', `${name} at ${t.href} cannot be read: ${messageOf(e)}`)]);
  }
  if (got.bytes !== t.file.size) {
    return done([
      problem('error', `${name} at ${t.href} gave ${got.bytes} bytes; its record says ${t.file.size}`),
    ]);
  }
  const wrong = mismatches(expected, got);
  return done(
    wrong.map((d) =>
      problem(
        'error',
        `${name} at ${t.href}: ${d.algo.toUpperCase()} is ${got.digests[d.algo]}, expected ${d.hex} (from ${d.from})`,
      ),
    ),
    true,
  );
}
