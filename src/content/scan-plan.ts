// The listing half of a folder scan: decides which entries are items, of which type, with which files,
// and checks names, OVA layouts and OVF references before any byte is hashed (so bad input fails fast).

import { mapLimited } from '../util/pool.js';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join, sep } from 'node:path';
import type { Dirent } from 'node:fs';
import { ClaasError, badInput } from '../errors.js';
import type { ItemType } from '../vcsp/types.js';
import { fsError } from './fs-errors.js';
import { compareNames, extensionOf, notUtf8, unsafeItemNameReason, unsafeSegmentReason } from './names.js';
import { checkOvaLayout, readOvaLayout, type OvaLayout } from './ova.js';
import { checkOvfReferences, loadOvfDescriptor, type AvailableFile } from './ovf-item.js';
import type { ContentWarning } from './types.js';

export interface PlannedFile {
  name: string;
  path: string;
  size: number;
  /** The stat the listing saw (a hash cache lookup needs no second stat). */
  mtimeMs: number;
  ino: number;
}

/** An item found by listing, before hashing. */
export type ItemPlan =
  | {
      kind: 'files';
      type: ItemType;
      name: string;
      sourcePath: string;
      files: PlannedFile[];
      descriptorName?: string;
    }
  | { kind: 'ova'; name: string; sourcePath: string; layout: OvaLayout; descriptorName: string };

export interface PlanOptions {
  /**
   * Publish what a symbolic link points to even when it lies outside the source folder (by default such a
   * link is refused: a link must not publish a file its author did not put in the folder).
   */
  followSymlinks?: boolean;
}

export interface SourcePlan {
  plans: ItemPlan[];
  warnings: ContentWarning[];
}

/** Library metadata a make_vcsp-style tree holds next to the content: never content itself. */
const METADATA_FILES = new Set(['item.json', 'lib.json', 'items.json']);

/** What every listing of one scan needs to know. */
interface ScanScope {
  /** The source folder with its links resolved. */
  realRoot: string;
  followSymlinks: boolean;
}

type Entry =
  | { kind: 'file'; name: string; path: string; size: number; mtimeMs: number; ino: number }
  | { kind: 'dir'; name: string; path: string };

function skipped(name: string): boolean {
  return name.startsWith('.') || METADATA_FILES.has(name);
}

/** Item names become folder names in the library and names in vCenter: safe segments of at most 80 characters. */
function checkItemName(name: string, path: string): void {
  const reason = unsafeItemNameReason(name);
  if (reason !== undefined) {
    throw badInput(
      `item name "${name}" cannot be used: ${reason}`,
      path,
      'rename the file or folder (the item is named after it)',
    );
  }
}

function checkFileName(name: string, path: string): void {
  const reason = unsafeSegmentReason(name);
  if (reason !== undefined)
    throw badInput(`file name "${name}" cannot be published: ${reason}`, path, 'rename it');
}

/**
 * Refuses a symbolic link whose target lies outside the source folder (unless followSymlinks): it would
 * publish a file that was never put in the folder, silently.
 */
async function checkLinkTarget(path: string, name: string, scope: ScanScope): Promise<void> {
  if (scope.followSymlinks) return;
  const target = await realpath(path);
  if (target.startsWith(scope.realRoot + sep)) return;
  throw badInput(
    `${name} is a symbolic link to ${target}, outside the source folder`,
    path,
    'copy the file into the source folder (or link only within it), or pass --follow-symlinks to publish ' +
      'what links point to',
  );
}

/**
 * Refuses a name in dir that is not valid UTF-8: Node reads it with U+FFFD in place of the bad bytes, and
 * that name opens nothing ("does not exist" would be the wrong answer).
 */
async function refuseNonUtf8Names(dir: string): Promise<void> {
  let raw: Buffer[];
  try {
    raw = await readdir(dir, { encoding: 'buffer' });
  } catch (e) {
    throw fsError(e, dir, 'list');
  }
  for (const name of raw) {
    const shown = notUtf8(name);
    if (shown === undefined || skipped(name.toString('utf8'))) continue;
    throw badInput(
      `the name "${shown}" in ${dir} is not valid UTF-8, so it cannot be published (nor opened by that name)`,
      join(dir, name.toString('utf8')),
      'rename it to a UTF-8 name (for example: convmv -f latin1 -t utf-8 --notest <name>), or move it out of the source folder',
    );
  }
}

/**
 * Lists dir (sorted, hidden and metadata entries left out), following symbolic links to files within the
 * source folder (or anywhere, with followSymlinks).
 */
async function listEntries(dir: string, warnings: ContentWarning[], scope: ScanScope): Promise<Entry[]> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw fsError(e, dir, 'list');
  }
  if (dirents.some((d) => d.name.includes('\ufffd'))) await refuseNonUtf8Names(dir);
  dirents.sort((a, b) => compareNames(a.name, b.name));
  // Entries are examined in parallel (a folder of 500 files is 1,000 file system calls) and kept in order.
  const examined = await mapLimited(
    dirents.filter((d) => !skipped(d.name)),
    32,
    async (d): Promise<Entry | ContentWarning> => {
      const path = join(dir, d.name);
      if (d.isDirectory()) return { kind: 'dir', name: d.name, path };
      if (!d.isFile() && !d.isSymbolicLink()) {
        return { message: `${d.name} is not a regular file or folder; skipped`, input: path };
      }
      let st;
      try {
        st = await stat(path);
        if (d.isSymbolicLink() && st.isFile()) await checkLinkTarget(path, d.name, scope);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          // A link to a disk on an unmounted share must not publish a template without its disk.
          throw badInput(
            `${d.name} is a symbolic link to a file that does not exist`,
            path,
            'mount or restore the target, or remove the link',
          );
        }
        throw fsError(e, path);
      }
      if (st.isDirectory())
        return { message: `${d.name} is a symbolic link to a folder; skipped`, input: path };
      if (!st.isFile()) return { message: `${d.name} is not a regular file; skipped`, input: path };
      try {
        await access(path, constants.R_OK);
      } catch (e) {
        throw fsError(e, path);
      }
      return { kind: 'file', name: d.name, path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    },
  );
  const out: Entry[] = [];
  for (const e of examined) {
    if ('message' in e) warnings.push(e);
    else out.push(e);
  }
  return out;
}

/** One item from a subfolder: OVF template, ISO image, or other files. Undefined when empty. */
async function planFolder(
  dir: string,
  name: string,
  warnings: ContentWarning[],
  scope: ScanScope,
): Promise<ItemPlan | undefined> {
  const files: PlannedFile[] = [];
  for (const e of await listEntries(dir, warnings, scope)) {
    if (e.kind === 'dir') {
      warnings.push({
        message: `nested folder ${name}/${e.name} is ignored (items are flat)`,
        input: e.path,
      });
      continue;
    }
    checkFileName(e.name, e.path);
    files.push({ name: e.name, path: e.path, size: e.size, mtimeMs: e.mtimeMs, ino: e.ino });
  }
  if (files.length === 0) {
    warnings.push({ message: `folder ${name} is empty; skipped`, input: dir });
    return undefined;
  }
  const descriptors = files.filter((f) => extensionOf(f.name) === '.ovf');
  if (descriptors.length > 1) {
    throw badInput(
      `folder ${name} holds ${descriptors.length} OVF descriptors (${descriptors.map((d) => d.name).join(', ')})`,
      dir,
      'put each OVF template in its own folder',
    );
  }
  const descriptor = descriptors[0];
  if (descriptor !== undefined) {
    const available = new Map<string, AvailableFile>(
      files.map((f) => [f.name, { size: f.size, origin: { kind: 'file', path: f.path } }]),
    );
    const info = await loadOvfDescriptor({ kind: 'file', path: descriptor.path }, descriptor.name);
    checkOvfReferences(info, descriptor.name, available, dir);
    return { kind: 'files', type: 'vcsp.ovf', name, sourcePath: dir, files, descriptorName: descriptor.name };
  }
  const isIso = files.length === 1 && extensionOf(files[0]!.name) === '.iso';
  return { kind: 'files', type: isIso ? 'vcsp.iso' : 'vcsp.other', name, sourcePath: dir, files };
}

/** An OVA at the top level: its members become the item's files. */
async function planOva(path: string, name: string, warnings: ContentWarning[]): Promise<ItemPlan> {
  const layout = await readOvaLayout(path);
  warnings.push(...checkOvaLayout(layout, path));
  const descriptor = layout.find((m) => extensionOf(m.name) === '.ovf')!;
  const available = new Map<string, AvailableFile>(
    layout.map((m) => [
      m.name,
      { size: m.size, origin: { kind: 'file-range', path, offset: m.offset, length: m.size } },
    ]),
  );
  const info = await loadOvfDescriptor(available.get(descriptor.name)!.origin, descriptor.name);
  checkOvfReferences(info, descriptor.name, available, path);
  return { kind: 'ova', name, sourcePath: path, layout, descriptorName: descriptor.name };
}

async function planTopFile(
  e: Extract<Entry, { kind: 'file' }>,
  warnings: ContentWarning[],
): Promise<ItemPlan> {
  const ext = extensionOf(e.name);
  if (ext === '.ova') {
    const name = e.name.slice(0, -ext.length);
    checkItemName(name, e.path);
    return planOva(e.path, name, warnings);
  }
  const type: ItemType = ext === '.iso' ? 'vcsp.iso' : 'vcsp.other';
  const name = type === 'vcsp.iso' ? e.name.slice(0, -ext.length) : e.name;
  checkItemName(name, e.path);
  checkFileName(e.name, e.path);
  return {
    kind: 'files',
    type,
    name,
    sourcePath: e.path,
    files: [{ name: e.name, path: e.path, size: e.size, mtimeMs: e.mtimeMs, ino: e.ino }],
  };
}

/** Lists the source folder root (absolute) into item plans; nothing is hashed yet. */
export async function planSource(root: string, options: PlanOptions = {}): Promise<SourcePlan> {
  let st;
  try {
    st = await stat(root);
  } catch (e) {
    throw fsError(e, root);
  }
  if (!st.isDirectory()) {
    throw new ClaasError('BAD_INPUT', `${root} is not a folder`, {
      input: root,
      hint: 'the source must be a folder holding one subfolder, .ova, .iso or file per item',
    });
  }
  const scope: ScanScope = {
    realRoot: await realpath(root),
    followSymlinks: options.followSymlinks === true,
  };
  const warnings: ContentWarning[] = [];
  const plans: ItemPlan[] = [];
  const byName = new Map<string, string>();
  // Listing is latency-bound (a few syscalls per entry): plan many folders at once, keep their order.
  const entries = await listEntries(root, warnings, scope);
  const jobs = entries.map((e) => ({ e, w: [] as ContentWarning[] }));
  const planned = await mapLimited(jobs, 16, async ({ e, w }) => {
    if (e.kind === 'dir') {
      checkItemName(e.name, e.path);
      return planFolder(e.path, e.name, w, scope);
    }
    return planTopFile(e, w);
  });
  for (const j of jobs) warnings.push(...j.w);
  for (const plan of planned) {
    if (plan === undefined) continue;
    const other = byName.get(plan.name);
    if (other !== undefined) {
      throw badInput(
        `two sources make an item named "${plan.name}": ${other} and ${plan.sourcePath}`,
        plan.sourcePath,
        'rename one of them: item names must be unique in a library',
      );
    }
    byName.set(plan.name, plan.sourcePath);
    plans.push(plan);
  }
  plans.sort((a, b) => compareNames(a.name, b.name));
  return { plans, warnings };
}
