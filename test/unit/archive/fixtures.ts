// Fixtures for the archive tests: libraries published by the real engine into local folders, with items
// made of small text files, at controlled times.

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceItem } from '../../../src/content/types.js';
import { publish } from '../../../src/publish/publish.js';
import type { PublishResult } from '../../../src/publish/publish.js';
import type { ObjectStore } from '../../../src/store/types.js';
import type { Actor } from '../../../src/publish/identity.js';

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const HOUR = 3600_000;
export const at = (ms: number) => () => new Date(T0 + ms);

export const ACTOR: Actor = { name: 'tester@test', source: 'os', os: 'tester@test' };

let counter = 0;

/** An item with one file `data.txt` (or the given files), written below dir/src/<n>/<name>. */
export async function item(
  dir: string,
  name: string,
  files: Record<string, string> | string,
  description = '',
): Promise<SourceItem> {
  const d = join(dir, 'src', String(counter++), name);
  await mkdir(d, { recursive: true });
  const spec = typeof files === 'string' ? { 'data.txt': files } : files;
  const out: SourceItem['files'] = [];
  for (const [file, content] of Object.entries(spec)) {
    const path = join(d, file);
    await writeFile(path, content);
    out.push({
      name: file,
      size: Buffer.byteLength(content),
      sha256: sha256(content),
      origin: { kind: 'file', path },
    });
  }
  return { name, description, type: 'vcsp.other', sourcePath: d, files: out };
}

export async function publishAt(
  store: ObjectStore,
  items: SourceItem[],
  ms: number,
  publisher?: string,
): Promise<PublishResult> {
  return publish(
    { items, defaultName: 'lib' },
    { store, now: at(ms), noGc: true, ...(publisher === undefined ? {} : { publisher }) },
  );
}
