// Test fixture: a tiny VCSP library written by hand (not by claas's builder), so that the subscriber
// code is checked against the protocol rather than against itself. Items are described by a spec that
// tests change and write again to model a publisher's next version.

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startVcspServer } from '../../../src/gateway/vcsp-server.js';
import { FsStore } from '../../../src/store/fs.js';

export interface FileSpec {
  name: string;
  data: Buffer;
  /** Store under `<item>/<sha256>/<name>` (claas's layout) instead of `<item>/<name>`. */
  contentAddressed?: boolean;
}

export interface ItemSpec {
  name: string;
  id: string;
  type: 'vcsp.ovf' | 'vcsp.iso' | 'vcsp.other';
  version: string;
  files: FileSpec[];
}

export interface LibrarySpec {
  id: string;
  version: string;
  items: ItemSpec[];
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

export function fileHref(item: ItemSpec, file: FileSpec): string {
  return file.contentAddressed
    ? `${encodeURIComponent(item.name)}/${sha256(file.data)}/${encodeURIComponent(file.name)}`
    : `${encodeURIComponent(item.name)}/${encodeURIComponent(file.name)}`;
}

export function keyOf(href: string): string {
  return href.split('/').map(decodeURIComponent).join('/');
}

function itemJson(lib: LibrarySpec, item: ItemSpec) {
  return {
    created: '2026-11-24T19:05:00Z',
    description: '',
    version: item.version,
    files: item.files.map((f) => ({
      name: f.name,
      size: f.data.length,
      etag: item.version,
      generationNum: Number(item.version),
      hrefs: [fileHref(item, f)],
    })),
    id: item.id,
    name: item.name,
    metadata:
      item.type === 'vcsp.ovf'
        ? [
            {
              key: 'type-metadata',
              type: 'String',
              domain: 'SYSTEM',
              visibility: 'READONLY',
              value: JSON.stringify({
                id: item.id,
                version: item.version,
                libraryIdParent: lib.id,
                isVappTemplate: 'false',
                vmTemplate: null,
                vappTemplate: null,
                networks: [],
                storagePolicyGroups: null,
              }),
            },
          ]
        : [],
    properties: {},
    selfHref: `${encodeURIComponent(item.name)}/item.json`,
    type: item.type,
  };
}

async function put(root: string, key: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(join(root, key)), { recursive: true });
  await writeFile(join(root, key), data);
}

/** Writes the whole library (replacing what was there) and returns the VCSP documents. */
export async function writeLibrary(root: string, spec: LibrarySpec) {
  await rm(root, { recursive: true, force: true });
  const items = spec.items.map((item) => itemJson(spec, item));
  const lib = {
    vcspVersion: '2',
    version: spec.version,
    contentVersion: '1',
    name: 'tiny',
    id: spec.id,
    created: '2026-11-24T19:05:00Z',
    capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
    itemsHref: 'items.json',
  };
  for (const item of spec.items) {
    for (const f of item.files) await put(root, keyOf(fileHref(item, f)), f.data);
  }
  for (const item of items) await put(root, keyOf(item.selfHref), JSON.stringify(item));
  await put(root, 'items.json', JSON.stringify({ items }));
  await put(root, 'lib.json', JSON.stringify(lib));
  return { lib, items };
}

/** claas's snapshot of the version: the VCSP documents plus the SHA-256 of every file href. */
export async function writeSnapshot(
  root: string,
  spec: LibrarySpec,
  docs: Awaited<ReturnType<typeof writeLibrary>>,
) {
  const hashes: Record<string, string> = {};
  for (const item of spec.items) for (const f of item.files) hashes[fileHref(item, f)] = sha256(f.data);
  const snapshot = {
    format: 'claas.version/1',
    lib: docs.lib,
    items: docs.items,
    hashes,
    committedAt: '2026-11-24T19:05:00Z',
  };
  await put(root, `.claas/versions/${spec.version}.json`, JSON.stringify(snapshot));
}

const OVF = Buffer.from(
  '<?xml version="1.0"?><Envelope><References><File ovf:href="photon-disk1.vmdk"/></References></Envelope>\n',
);
const DISK = Buffer.alloc(256 * 1024, 'photon-disk ');

/** photon: an OVF item in claas's content-addressed layout with a manifest; notes: a plain file item. */
export function tinySpec(): LibrarySpec {
  const manifest = Buffer.from(
    `SHA256(photon.ovf)= ${sha256(OVF)}\nSHA256(photon-disk1.vmdk)= ${sha256(DISK)}\n`,
  );
  return {
    id: 'urn:uuid:4a5e0000-0000-4000-8000-000000000001',
    version: '1',
    items: [
      {
        name: 'photon',
        id: 'urn:uuid:9f1c0000-0000-4000-8000-000000000002',
        type: 'vcsp.ovf',
        version: '1',
        files: [
          { name: 'photon.ovf', data: OVF, contentAddressed: true },
          { name: 'photon.mf', data: manifest, contentAddressed: true },
          { name: 'photon-disk1.vmdk', data: DISK, contentAddressed: true },
        ],
      },
      {
        name: 'notes',
        id: 'urn:uuid:9f1c0000-0000-4000-8000-000000000003',
        type: 'vcsp.other',
        version: '1',
        files: [{ name: 'notes.txt', data: Buffer.from('release notes\n') }],
      },
    ],
  };
}

export interface ServedLibrary {
  /** The library root folder. */
  root: string;
  /** The subscription URL. */
  url: string;
  /** An empty folder for a subscriber's copy. */
  target: string;
  spec: LibrarySpec;
}

/** Writes tinySpec() to a temp folder, serves it with startVcspServer, and cleans up after fn. */
export async function withServedLibrary(
  o: { password?: string },
  fn: (lib: ServedLibrary) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'claas-sub-'));
  const root = join(dir, 'lib');
  const spec = tinySpec();
  await writeLibrary(root, spec);
  const server = await startVcspServer({ store: new FsStore(root), host: '127.0.0.1', port: 0, ...o });
  try {
    await fn({ root, url: server.url, target: join(dir, 'subscriber'), spec });
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
