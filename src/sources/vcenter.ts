// The vCenter source of `claas import vcenter`: a content library's items read through the vSphere
// Automation API, their files streamed from download sessions (one per item, closed when its files are
// read). Names, descriptions and types are kept: vCenter's "ovf" items become vcsp.ovf, "iso" vcsp.iso,
// anything else vcsp.other. An item counts as unchanged when its content version and its file list (names,
// sizes, file versions, checksums) are what they were at the last import.

import { createHash } from 'node:crypto';
import { ClaasError } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import { listLibraryItems, openDownloadSession, requireLibrary } from '../vcenter/index.js';
import type { ItemFileInfo, ItemInfo, LibraryInfo, PollOptions, VcenterApi } from '../vcenter/index.js';
import type { ItemType } from '../vcsp/types.js';
import type { RemoteFile, RemoteItem, RemoteLibrary } from './import.js';
import type { DigestAlgo, Expected } from './staging.js';

export interface VcenterSourceOptions {
  /** The library's name or id. */
  library: string;
  /** Only these items (exact names); default every item. */
  items?: string[];
  poll?: PollOptions;
}

const ALGORITHMS: Record<string, DigestAlgo> = {
  SHA256: 'sha256',
  SHA1: 'sha1',
  SHA512: 'sha512',
  MD5: 'md5',
};

/** The VCSP item type of a vCenter item type. */
export function vcspTypeOf(vcenterType: string | undefined): ItemType {
  const t = (vcenterType ?? '').toLowerCase();
  return t === 'ovf' ? 'vcsp.ovf' : t === 'iso' ? 'vcsp.iso' : 'vcsp.other';
}

/**
 * What decides whether an item must be downloaded again: vCenter's content version (when it reports one)
 * and a digest of its file list. Metadata changes (name, description) do not change it.
 */
export function vcenterFingerprint(
  item: Pick<ItemInfo, 'contentVersion'>,
  files: readonly ItemFileInfo[],
): string {
  const list = [...files]
    .map((f) =>
      [f.name, f.size ?? '', f.version ?? '', f.checksum?.algorithm ?? '', f.checksum?.checksum ?? ''].join(
        ':',
      ),
    )
    .sort()
    .join('\n');
  const digest = createHash('sha256').update(list).digest('hex').slice(0, 16);
  return `content version ${item.contentVersion ?? 'n/a'}, files ${digest}`;
}

function expectedOf(f: ItemFileInfo): Expected[] {
  const algo = f.checksum === undefined ? undefined : ALGORITHMS[f.checksum.algorithm];
  return algo === undefined || f.checksum === undefined
    ? []
    : [{ algo, hex: f.checksum.checksum.toLowerCase(), from: `vCenter's ${f.checksum.algorithm} checksum` }];
}

export async function readVcenterSource(api: VcenterApi, o: VcenterSourceOptions): Promise<RemoteLibrary> {
  const library = await requireLibrary(api, o.library);
  const url = `${api.server} library ${JSON.stringify(library.name)}`;
  let items = await listLibraryItems(api, library.id);
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (o.items !== undefined && o.items.length > 0) {
    const wanted = new Set(o.items);
    const missing = [...wanted].filter((name) => !items.some((i) => i.name === name));
    if (missing.length > 0) {
      const known = items.slice(0, 10).map((i) => JSON.stringify(i.name));
      throw new ClaasError(
        'NOT_FOUND',
        `${url} has no item ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
        {
          input: missing[0],
          hint:
            known.length > 0
              ? `Its items: ${known.join(', ')}${items.length > 10 ? ', ...' : ''} (names are exact, letter case included).`
              : 'The library is empty.',
        },
      );
    }
    items = items.filter((i) => wanted.has(i.name));
  }
  const listed = await mapLimited(items, 4, async (item) => ({
    item,
    files: await api.listItemFiles(item.id),
  }));
  return vcenterRemoteLibrary(api, library, listed, o.poll);
}

/** A vCenter item with the files it lists. */
export interface ListedVcenterItem {
  item: ItemInfo;
  files: ItemFileInfo[];
}

/**
 * The RemoteLibrary of a vCenter library whose items (and their file lists) are already listed: items
 * without files (VM templates, empty items) are left out with a warning; files are read from download
 * sessions only when an item is imported.
 */
export function vcenterRemoteLibrary(
  api: VcenterApi,
  library: LibraryInfo,
  listed: readonly ListedVcenterItem[],
  poll: PollOptions = {},
): RemoteLibrary {
  const url = `${api.server} library ${JSON.stringify(library.name)}`;
  const warnings: RemoteLibrary['warnings'] = [];
  const remote: RemoteItem[] = [];
  for (const { item, files } of listed) {
    const where = `item ${JSON.stringify(item.name)}`;
    if (files.length === 0) {
      warnings.push({
        message: `${where} has no files (a VM template or an empty item) and is not imported`,
        input: url,
      });
      continue;
    }
    const unsized = files.find((f) => f.size === undefined);
    if (unsized !== undefined) {
      throw new ClaasError('PROTOCOL', `${url}: ${where}: vCenter gives no size for "${unsized.name}"`, {
        input: url,
        hint: 'The file may not be cached (an on-demand subscribed library): sync the item in vCenter first.',
      });
    }
    remote.push({
      id: item.id,
      fingerprint: vcenterFingerprint(item, files),
      name: item.name,
      description: item.description ?? '',
      type: vcspTypeOf(item.type),
      where,
      content: async () => {
        const session = await openDownloadSession(api, item.id, poll);
        const remoteFiles = session.files.map((f): RemoteFile => ({
          name: f.name,
          size: f.size ?? -1,
          expected: expectedOf(f),
          describe: `${url} item ${JSON.stringify(item.name)} file ${JSON.stringify(f.name)}`,
          open: () => session.open(f.name),
        }));
        return { files: remoteFiles, close: () => session.close() };
      },
    });
  }
  return {
    kind: 'vcenter',
    identity: `${api.server}|${library.id}`,
    url,
    name: library.name,
    ...(library.description === undefined || library.description === ''
      ? {}
      : { description: library.description }),
    items: remote,
    warnings,
  };
}
