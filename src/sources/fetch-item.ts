// Fetching one remote item for an import: its file list checked (safe unique names, one OVF descriptor),
// each file found at the destination by its SHA-256 or streamed through the staging area with every digest
// the source states (and its manifest's) checked on the way, the descriptor's references checked against
// the files. The result is a SourceItem whose files are `stored` (or staged `stream`) origins, and the
// import record entry that lets the next import skip the item while it is unchanged.

import { ClaasError } from '../errors.js';
import { hashAlgoOf, parseManifest } from '../content/manifest.js';
import type { ManifestEntry } from '../content/manifest.js';
import { MAX_DESCRIPTOR_BYTES, parseOvfDescriptor } from '../content/ovf.js';
import { isSafeSegment } from '../vcsp/hrefs.js';
import type { OvfInfo } from '../content/ovf.js';
import type { SourceFile, SourceItem } from '../content/types.js';
import type { ObjectStore } from '../store/types.js';
import { refused } from './remote.js';
import type { ImportEvent, ImportedItem, RemoteFile, RemoteItem, RemoteLibrary } from './remote.js';
import { StagingArea, addExpected, storedFile } from './staging.js';
import type { DestinationIndex, Expected, RecordedItem } from './staging.js';

/** Descriptors and manifests are kept in memory while staged, to be parsed. */
const MAX_KEPT_BYTES = MAX_DESCRIPTOR_BYTES;

/** Checks a fetched item's file list: safe, unique names; an OVF item has exactly one descriptor. */
function checkFiles(remote: RemoteLibrary, item: RemoteItem, files: readonly RemoteFile[]): void {
  const where = `${remote.url}: ${item.where}`;
  const seen = new Set<string>();
  for (const f of files) {
    if (!isSafeSegment(f.name)) {
      throw refused(
        where,
        `file name ${JSON.stringify(f.name.slice(0, 100))} is not a plain file name`,
        f.describe,
      );
    }
    if (seen.has(f.name)) throw refused(where, `lists the file "${f.name}" twice`, f.describe);
    seen.add(f.name);
    if (!Number.isSafeInteger(f.size) || f.size < 0) {
      throw refused(where, `file "${f.name}" has no valid size (${String(f.size)})`, f.describe);
    }
  }
  if (item.type === 'vcsp.ovf') {
    const descriptors = files.filter((f) => f.name.toLowerCase().endsWith('.ovf'));
    if (descriptors.length !== 1) {
      throw refused(
        where,
        `an OVF template needs exactly one .ovf descriptor, it has ${descriptors.length}`,
        remote.url,
      );
    }
  }
}

const extension = (name: string): string => name.slice(name.lastIndexOf('.')).toLowerCase();

/** The manifest of an OVF item: same base name as the descriptor, else the only .mf. */
function manifestOf(
  files: readonly RemoteFile[],
  descriptor: RemoteFile | undefined,
): RemoteFile | undefined {
  const manifests = files.filter((f) => extension(f.name) === '.mf');
  const base = descriptor?.name.slice(0, -'.ovf'.length);
  return (
    manifests.find((f) => f.name === `${base}.mf`) ?? (manifests.length === 1 ? manifests[0] : undefined)
  );
}

export interface BuiltItem {
  source: SourceItem;
  recorded: RecordedItem;
  action: ImportedItem;
  downloaded: { files: number; bytes: number; deduped: number };
}

export interface Context {
  remote: RemoteLibrary;
  staging: StagingArea;
  index: DestinationIndex;
  store: ObjectStore;
  onEvent: (e: ImportEvent) => void;
  warn: (message: string, input?: string) => void;
}

/** Downloads (or finds at the destination) every file of one item and checks it. */
export async function fetchItem(ctx: Context, item: RemoteItem, signal: AbortSignal): Promise<BuiltItem> {
  const { remote } = ctx;
  const where = `${remote.url}: ${item.where}`;
  const content = await item.content(signal);
  try {
    const files = content.files;
    checkFiles(remote, item, files);
    const descriptor =
      item.type === 'vcsp.ovf' ? files.find((f) => f.name.toLowerCase().endsWith('.ovf')) : undefined;
    const manifestFile = item.type === 'vcsp.ovf' ? manifestOf(files, descriptor) : undefined;
    // The manifest first (its digests check the others), then the descriptor, then the rest.
    const rank = (f: RemoteFile) => (f === manifestFile ? 0 : f === descriptor ? 1 : 2);
    const ordered = [...files].sort((a, b) => rank(a) - rank(b));
    let manifest: Map<string, ManifestEntry> | undefined;
    let info: OvfInfo | undefined;
    const out = new Map<string, SourceFile>();
    const stats = { files: 0, bytes: 0, deduped: 0 };

    for (const f of ordered) {
      signal.throwIfAborted();
      const fileWhere = `${item.where} file "${f.name}"`;
      const expected = [...f.expected];
      const listed = manifest?.get(f.name);
      if (listed !== undefined) {
        const ok = addExpected(expected, {
          algo: hashAlgoOf(listed.algo),
          hex: listed.hex,
          from: `manifest ${manifestFile?.name ?? ''}`,
        });
        if (!ok) {
          throw new ClaasError(
            'INTEGRITY',
            `${remote.url}: ${fileWhere}: the manifest and the source state different digests`,
            { input: f.describe, hint: 'The source library is inconsistent; nothing was imported.' },
          );
        }
      }
      const keep = f === manifestFile || f === descriptor;
      const got = await fetchFile(ctx, item, f, expected, keep, signal);
      out.set(f.name, got.file);
      stats.deduped += got.deduped ? 1 : 0;
      stats.files += got.deduped ? 0 : 1;
      stats.bytes += got.deduped ? 0 : got.file.size;
      const bytes = got.bytes;
      if (f === manifestFile) {
        if (bytes === undefined)
          ctx.warn(`${fileWhere}: the manifest is too large to be read; not checked`, f.describe);
        else manifest = readManifest(bytes, `${where} file "${f.name}"`, f.describe);
      }
      if (f === descriptor) {
        if (bytes === undefined) {
          throw refused(
            where,
            `the descriptor "${f.name}" is larger than ${MAX_KEPT_BYTES} bytes`,
            f.describe,
          );
        }
        info = readDescriptor(bytes, `${where} file "${f.name}"`, f.describe);
      }
    }

    checkListed(ctx, item, out, manifest, info);
    const sourceFiles = files.map((f) => out.get(f.name)!);
    const isVappTemplate = info?.isVappTemplate;
    return {
      source: {
        name: item.name,
        description: item.description,
        type: item.type,
        files: sourceFiles,
        ...(isVappTemplate === undefined ? {} : { isVappTemplate }),
        sourcePath: `${remote.url} ${item.where}`,
      },
      recorded: recordOf(item, sourceFiles, isVappTemplate),
      action: { name: item.name, action: 'fetched', reason: '' },
      downloaded: stats,
    };
  } finally {
    await content.close?.().catch(() => undefined);
  }
}

/** One file of an item: found at the destination by its SHA-256 (dedupe), or staged from the source. */
async function fetchFile(
  ctx: Context,
  item: RemoteItem,
  f: RemoteFile,
  expected: Expected[],
  keep: boolean,
  signal: AbortSignal,
): Promise<{ file: SourceFile; deduped: boolean; bytes?: Buffer }> {
  const sha256 = expected.find((e) => e.algo === 'sha256')?.hex;
  const present = sha256 === undefined ? undefined : storedFile(ctx.index, { ...f, sha256 });
  if (present !== undefined) {
    // Bytes with this SHA-256 are already published here: nothing to download.
    ctx.onEvent({ type: 'import-file', item: item.name, file: f.name, size: f.size, action: 'dedupe' });
    const bytes =
      keep && f.size <= MAX_KEPT_BYTES && present.origin.kind === 'stored'
        ? await ctx.store.readBytes(present.origin.key)
        : undefined;
    return { file: present, deduped: true, ...(bytes === undefined ? {} : { bytes }) };
  }
  ctx.onEvent({ type: 'import-file', item: item.name, file: f.name, size: f.size, action: 'download' });
  const key = `${item.name}/${f.name}`;
  ctx.onEvent({ type: 'file-start', key, size: f.size });
  const staged = await ctx.staging.stage({
    where: `${ctx.remote.url}: ${item.where} file "${f.name}"`,
    size: f.size,
    expected,
    describe: f.describe,
    open: () => f.open(),
    ...(keep ? { keepBytes: MAX_KEPT_BYTES } : {}),
    onBytes: (n) => ctx.onEvent({ type: 'file-progress', key, bytes: n }),
    signal,
  });
  ctx.onEvent({ type: 'file-done', key, size: f.size, skipped: false });
  return {
    file: { name: f.name, size: staged.size, sha256: staged.sha256, origin: staged.origin },
    deduped: false,
    ...(staged.bytes === undefined ? {} : { bytes: staged.bytes }),
  };
}

/** The manifest's names (a warning for each the item lacks) and the descriptor's references (refused). */
function checkListed(
  ctx: Context,
  item: RemoteItem,
  out: Map<string, SourceFile>,
  manifest: Map<string, ManifestEntry> | undefined,
  info: OvfInfo | undefined,
): void {
  const where = `${ctx.remote.url}: ${item.where}`;
  for (const name of manifest?.keys() ?? []) {
    if (!out.has(name)) ctx.warn(`${item.where}: the manifest lists "${name}", which the item does not have`);
  }
  for (const ref of info?.references ?? []) {
    const file = out.get(ref.href);
    if (file === undefined) {
      throw refused(
        where,
        `the descriptor references "${ref.href}", which the item does not have`,
        ctx.remote.url,
      );
    }
    if (ref.size !== undefined && ref.size !== file.size) {
      throw refused(
        where,
        `the descriptor says "${ref.href}" is ${ref.size} bytes, but it is ${file.size} bytes`,
        ctx.remote.url,
      );
    }
  }
}

function readManifest(bytes: Buffer, where: string, input: string): Map<string, ManifestEntry> {
  try {
    return parseManifest(bytes.toString('utf8'), where);
  } catch (e) {
    throw refused(where, `the manifest cannot be read: ${(e as Error).message}`, input);
  }
}

function readDescriptor(bytes: Buffer, where: string, input: string): OvfInfo {
  try {
    return parseOvfDescriptor(bytes.toString('utf8'), where);
  } catch (e) {
    if (e instanceof ClaasError) throw refused(where, e.message, input, e.hint);
    throw e;
  }
}

export function recordOf(
  item: RemoteItem,
  files: SourceFile[],
  isVappTemplate: boolean | undefined,
): RecordedItem {
  return {
    id: item.id,
    fingerprint: item.fingerprint,
    name: item.name,
    ...(isVappTemplate === undefined ? {} : { isVappTemplate }),
    files: files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
  };
}
