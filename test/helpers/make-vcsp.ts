// Writes libraries the way lamw/vmware-scripts' generators do (see shared/docs/vcsp.md):
// - make_vcsp_2018.py in local mode: item folders with the files in place, item.json beside them,
//   items.json and lib.json at the root, minute-precision local times with a 'Z', one MD5 etag shared by
//   the files of an item (of all of them, or "" with md5check off), no generationNum; later versions of
//   the script add type-metadata to OVF items;
// - make_vcsp_2015.py: the same, but every item that is not an OVF template is typed vcsp.iso;
// - make_vcsp_2018.py in S3 mode: each file's etag is its object's ETag and its generationNum the
//   object's LastModified in epoch seconds; a folder of ISOs becomes one item per ISO; items carry a
//   contentVersion.

import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile, mkdir, copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { writeSampleSource } from '../../src/demo/samples.js';

export interface MakeVcspOptions {
  /** Which script (default make_vcsp_2018.py). */
  script?: 'make_vcsp_2018.py' | 'make_vcsp_2015.py';
  /** make_vcsp_2018.py from 2019 on writes type-metadata for OVF items (default false: the 2018 one). */
  typeMetadata?: boolean;
  /** The scripts' md5check argument (default true); false writes "" etags. */
  md5?: boolean;
}

/** What the scripts' users publish: an OVF template folder, a folder of ISOs, a folder of other files. */
export async function writeScriptSource(src: string): Promise<void> {
  await writeSampleSource(src);
  for (const [folder, file, body] of [
    ['isos', 'alpine.iso', 'iso bytes'],
    ['isos', 'debian.iso', 'other iso bytes'],
    ['scripts', 'setup.sh', '#!/bin/sh\necho hi\n'],
    ['scripts', 'notes.txt', 'notes'],
  ] as const) {
    await mkdir(join(src, folder), { recursive: true });
    await writeFile(join(src, folder, file), body);
  }
}

function minuteLocal(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}Z`;
}

interface ScriptFile {
  name: string;
  size: number;
  etag: string;
  generationNum?: number;
  hrefs: string[];
}

/** An item as _make_item writes it (key order included), with type-metadata for OVF items if asked. */
function scriptItem(
  folder: string,
  type: string,
  name: string,
  files: ScriptFile[],
  created: string,
  libId: string,
  typeMetadata: boolean,
): Record<string, unknown> {
  const id = `urn:uuid:${randomUUID()}`;
  const metadata =
    typeMetadata && type === 'vcsp.ovf'
      ? {
          metadata: [
            {
              key: 'type-metadata',
              value: JSON.stringify({
                id,
                version: '2',
                libraryIdParent: libId,
                isVappTemplate: 'false',
                vmTemplate: null,
                vappTemplate: null,
                networks: [],
                storagePolicyGroups: null,
              }),
              type: 'String',
              domain: 'SYSTEM',
              visibility: 'READONLY',
            },
          ],
        }
      : {};
  return {
    created,
    description: '',
    version: '2',
    files,
    id,
    name,
    ...metadata,
    properties: {},
    selfHref: `${folder}/item.json`,
    type,
  };
}

function libJson(name: string, libId: string, created: string): Record<string, unknown> {
  return {
    vcspVersion: '2',
    version: '1',
    contentVersion: '1',
    name,
    id: libId,
    created,
    capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
    itemsHref: 'items.json',
  };
}

/** Copies each subfolder of `source` into `lib` and writes the JSON a make_vcsp script writes locally. */
export async function writeMakeVcspLibrary(
  source: string,
  lib: string,
  name: string,
  opts: MakeVcspOptions = {},
): Promise<{ libId: string; itemIds: Record<string, string> }> {
  await mkdir(lib, { recursive: true });
  const created = minuteLocal(new Date());
  const libId = `urn:uuid:${randomUUID()}`;
  const items = [];
  const itemIds: Record<string, string> = {};
  for (const entry of (await readdir(source, { withFileTypes: true })).filter((e) => e.isDirectory())) {
    const dir = join(lib, entry.name);
    await mkdir(dir, { recursive: true });
    const md5 = createHash('md5');
    const files = [];
    for (const f of (await readdir(join(source, entry.name))).sort()) {
      await copyFile(join(source, entry.name, f), join(dir, f));
      md5.update(await readFile(join(dir, f)));
      files.push({ name: f, size: (await stat(join(dir, f))).size, hrefs: [`${entry.name}/${f}`] });
    }
    const etag = opts.md5 === false ? '' : md5.digest('hex');
    const ovf = files.some((f) => /\.ov[fa]$/.test(f.name));
    const type = ovf
      ? 'vcsp.ovf'
      : opts.script === 'make_vcsp_2015.py' || files.every((f) => f.name.endsWith('.iso'))
        ? 'vcsp.iso'
        : 'vcsp.other';
    const recs = files.map((f) => ({ ...f, etag }));
    const item = scriptItem(entry.name, type, entry.name, recs, created, libId, opts.typeMetadata ?? false);
    itemIds[entry.name] = item.id as string;
    await writeFile(join(dir, 'item.json'), JSON.stringify(item, null, 2));
    items.push(item);
  }
  await writeFile(join(lib, 'lib.json'), JSON.stringify(libJson(name, libId, created), null, 2));
  await writeFile(join(lib, 'items.json'), JSON.stringify({ items }, null, 2));
  return { libId, itemIds };
}

/**
 * Uploads each subfolder of `source` to s3://bucket/prefix/<folder>/ and then writes the JSON
 * make_vcsp_2018.py writes in S3 mode from the bucket listing (ETag, LastModified).
 */
export async function writeMakeVcspS3Library(
  client: S3Client,
  source: string,
  bucket: string,
  prefix: string,
  name: string,
): Promise<{ libId: string }> {
  const put = (key: string, body: Buffer | string) =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}`, Body: body }));
  const folders = (await readdir(source, { withFileTypes: true })).filter((e) => e.isDirectory());
  for (const folder of folders) {
    for (const f of await readdir(join(source, folder.name))) {
      await put(`${folder.name}/${f}`, await readFile(join(source, folder.name, f)));
    }
  }
  const created = minuteLocal(new Date());
  const libId = `urn:uuid:${randomUUID()}`;
  const items: Record<string, unknown>[] = [];
  for (const folder of folders) {
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/${folder.name}/`, Delimiter: '/' }),
    );
    const files = (listed.Contents ?? []).map((o) => {
      const file = o.Key!.split('/').pop()!;
      return {
        name: file,
        size: o.Size!,
        etag: o.ETag!.replace(/"/g, ''),
        generationNum: Math.floor(o.LastModified!.getTime() / 1000),
        hrefs: [`${folder.name}/${file}`],
      };
    });
    const type = files.some((f) => /\.ov[fa]$/.test(f.name))
      ? 'vcsp.ovf'
      : files.every((f) => f.name.includes('.iso'))
        ? 'vcsp.iso'
        : 'vcsp.other';
    const made =
      type === 'vcsp.iso'
        ? files.map((f) => {
            const child = f.name.slice(0, f.name.lastIndexOf('.'));
            return scriptItem(`${folder.name}/${child}`, type, child, [f], created, '', false);
          })
        : [scriptItem(folder.name, type, folder.name, files, created, libId, true)];
    for (const item of made) {
      item.contentVersion = '2';
      await put(item.selfHref as string, JSON.stringify(item, null, 2));
      items.push(item);
    }
  }
  await put('lib.json', JSON.stringify(libJson(name, libId, created), null, 2));
  await put('items.json', JSON.stringify({ items }, null, 2));
  return { libId };
}
