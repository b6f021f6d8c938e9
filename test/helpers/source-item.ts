// A one-file item to publish in unit tests: <dir>/src/<name>/data.txt holding `content`, as the scanner
// would describe it (size and SHA-256 known).

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceItem } from '../../src/content/types.js';

export async function textItem(dir: string, name: string, content: string): Promise<SourceItem> {
  const d = join(dir, 'src', name);
  await mkdir(d, { recursive: true });
  const path = join(d, 'data.txt');
  await writeFile(path, content);
  return {
    name,
    description: '',
    type: 'vcsp.other',
    sourcePath: d,
    files: [
      {
        name: 'data.txt',
        size: Buffer.byteLength(content),
        sha256: createHash('sha256').update(content).digest('hex'),
        origin: { kind: 'file', path },
      },
    ],
  };
}
