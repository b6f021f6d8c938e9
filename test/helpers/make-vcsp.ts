// Writes a library the way make_vcsp_2018.py (lamw/vmware-scripts) does in local mode, per
// shared/docs/vcsp.md: item folders with the files in place, item.json beside them, items.json and
// lib.json at the root, minute-precision local times with a 'Z', MD5 folder etags, no generationNum.

import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile, mkdir, copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

function minuteLocal(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}Z`;
}

/** Copies each subfolder of `source` into `lib` and writes make_vcsp_2018.py-style JSON. */
export async function writeMakeVcspLibrary(
  source: string,
  lib: string,
  name: string,
): Promise<{ libId: string; itemIds: Record<string, string> }> {
  await mkdir(lib, { recursive: true });
  const created = minuteLocal(new Date());
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
    const etag = md5.digest('hex');
    const id = `urn:uuid:${randomUUID()}`;
    itemIds[entry.name] = id;
    const item = {
      created,
      description: '',
      version: '2',
      files: files.map((f) => ({ ...f, etag })),
      id,
      name: entry.name,
      properties: {},
      selfHref: `${entry.name}/item.json`,
      type: files.some((f) => f.name.endsWith('.ovf'))
        ? 'vcsp.ovf'
        : files.every((f) => f.name.endsWith('.iso'))
          ? 'vcsp.iso'
          : 'vcsp.other',
    };
    await writeFile(join(dir, 'item.json'), JSON.stringify(item, null, 2));
    items.push(item);
  }
  const libId = `urn:uuid:${randomUUID()}`;
  const libJson = {
    vcspVersion: '2',
    version: '1',
    contentVersion: '1',
    name,
    id: libId,
    created,
    capabilities: { transferIn: ['httpGet'], transferOut: ['httpGet'] },
    itemsHref: 'items.json',
  };
  await writeFile(join(lib, 'lib.json'), JSON.stringify(libJson, null, 2));
  await writeFile(join(lib, 'items.json'), JSON.stringify({ items }, null, 2));
  return { libId, itemIds };
}
