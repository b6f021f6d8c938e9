// Turns the files of an OVF template (a folder or an OVA's members) into a checked SourceItem:
// every referenced file present with the declared size, and the manifest (if any) matching the bytes.

import { basename } from 'node:path';
import { badInput } from '../errors.js';
import type { HashCache } from './hash-cache.js';
import { parseManifest, verifyManifestEntry } from './manifest.js';
import { compareNames, extensionOf } from './names.js';
import { originLabel, readOriginText } from './origin.js';
import { MAX_DESCRIPTOR_BYTES, parseOvfDescriptor, type OvfInfo } from './ovf.js';
import type { ContentWarning, FileOrigin, SourceFile, SourceItem } from './types.js';

export interface OvfItemInput {
  /** Item name (already checked). */
  name: string;
  /** The folder or OVA the item comes from. */
  sourcePath: string;
  /** Name of the .ovf among files. */
  descriptorName: string;
  /** Every file of the item, hashed, including the descriptor, manifest and certificate. */
  files: SourceFile[];
  hashCache?: HashCache;
  signal?: AbortSignal;
}

export interface OvfItemResult {
  item: SourceItem;
  warnings: ContentWarning[];
  /** Bytes read to check SHA-1/SHA-512 manifest entries. */
  hashedBytes: number;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The manifest that belongs to the descriptor: same base name, else the only .mf present. */
function pickManifest(files: SourceFile[], descriptorName: string): SourceFile | undefined {
  const manifests = files.filter((f) => extensionOf(f.name) === '.mf');
  const base = descriptorName.slice(0, -'.ovf'.length);
  return (
    manifests.find((f) => f.name === `${base}.mf`) ?? (manifests.length === 1 ? manifests[0] : undefined)
  );
}

async function checkManifest(
  manifest: SourceFile,
  byName: Map<string, SourceFile>,
  where: string,
  opts: Pick<OvfItemInput, 'hashCache' | 'signal'>,
): Promise<number> {
  const text = await readOriginText(manifest.origin, manifest.name, MAX_MANIFEST_BYTES);
  const entries = parseManifest(text, originLabel(manifest.origin));
  let readBytes = 0;
  for (const [fileName, entry] of entries) {
    const file = byName.get(fileName);
    if (file === undefined) {
      throw badInput(
        `${manifest.name} lists ${fileName}, which is not in the ${where}`,
        originLabel(manifest.origin),
        `add ${fileName} next to the descriptor, or regenerate the manifest`,
      );
    }
    const r = await verifyManifestEntry(entry, file, opts);
    readBytes += r.readBytes;
    if (!r.ok) {
      throw badInput(
        `manifest hash mismatch for ${fileName} in ${manifest.name}: the file is corrupt or the manifest is stale`,
        originLabel(file.origin),
        'copy the template again from its source, or regenerate the manifest if the file was changed on purpose',
      );
    }
  }
  return readBytes;
}

/** A file an OVF template may reference: what the reference check needs before anything is hashed. */
export interface AvailableFile {
  size: number;
  origin: FileOrigin;
}

/** Reads and parses the descriptor at origin (errors name origin.path). */
export async function loadOvfDescriptor(origin: FileOrigin, descriptorName: string): Promise<OvfInfo> {
  const xml = await readOriginText(origin, descriptorName, MAX_DESCRIPTOR_BYTES);
  return parseOvfDescriptor(xml, originLabel(origin));
}

/**
 * Checks every file the descriptor references is available with the declared size.
 * Returns the referenced names. Cheap: scan calls it before hashing so a missing disk fails fast.
 */
export function checkOvfReferences(
  info: OvfInfo,
  descriptorName: string,
  available: Map<string, AvailableFile>,
  sourcePath: string,
): Set<string> {
  const descriptor = available.get(descriptorName);
  if (descriptor === undefined) throw new Error(`internal: ${descriptorName} is not among the files`);
  const fromOva = descriptor.origin.kind === 'file-range';
  const referenced = new Set<string>();
  for (const ref of info.references) {
    const file = available.get(ref.href);
    if (file === undefined) {
      throw badInput(
        `${descriptorName} references ${ref.href}, which is not in the ${fromOva ? 'OVA' : 'folder'}`,
        originLabel(descriptor.origin),
        fromOva
          ? 'the OVA is incomplete: export it again'
          : `copy ${ref.href} into ${basename(sourcePath)}/ next to ${descriptorName}, or fix the References section`,
      );
    }
    if (ref.size !== undefined && ref.size !== file.size) {
      throw badInput(
        `${descriptorName} says ${ref.href} is ${ref.size} bytes, but it is ${file.size} bytes`,
        originLabel(file.origin),
        'the file is incomplete or belongs to another template: copy it again',
      );
    }
    referenced.add(ref.href);
  }
  return referenced;
}

/** Checks an OVF template's hashed files against its descriptor and manifest and returns the item. */
export async function buildOvfItem(input: OvfItemInput): Promise<OvfItemResult> {
  const { files, descriptorName } = input;
  const byName = new Map(files.map((f) => [f.name, f]));
  const descriptor = byName.get(descriptorName);
  if (descriptor === undefined) throw new Error(`internal: ${descriptorName} is not among the files`);
  const where = descriptor.origin.kind === 'file-range' ? 'OVA' : 'folder';
  const info = await loadOvfDescriptor(descriptor.origin, descriptorName);
  const referenced = checkOvfReferences(info, descriptorName, byName, input.sourcePath);

  const manifest = pickManifest(files, descriptorName);
  const hashedBytes = manifest ? await checkManifest(manifest, byName, where, input) : 0;

  const warnings: ContentWarning[] = [];
  for (const f of files) {
    const ext = extensionOf(f.name);
    if (f.name === descriptorName || referenced.has(f.name) || ext === '.mf' || ext === '.cert') continue;
    warnings.push({
      message: `${f.name} is not referenced by ${descriptorName}; it is published with the item anyway`,
      input: originLabel(f.origin),
    });
  }
  if (manifest === undefined && files.some((f) => extensionOf(f.name) === '.mf')) {
    warnings.push({
      message: `several manifests and none named after ${descriptorName}: no manifest was checked`,
      input: input.sourcePath,
    });
  }

  const item: SourceItem = {
    name: input.name,
    description: info.annotation ?? '',
    type: 'vcsp.ovf',
    files: [...files].sort((a, b) => compareNames(a.name, b.name)),
    isVappTemplate: info.isVappTemplate,
    sourcePath: input.sourcePath,
  };
  return { item, warnings, hashedBytes };
}
