// Benchmark: a no-op re-publish of a 5,000-item library against its first publish (local folder store).
// Usage: node dist/bench/noop-publish.js [items]

import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cli, fmtMs, fmtRss, mustRun, row, tableHead, times, workDir } from './lib.js';

const items = Number(process.argv[2] ?? 5000);
const work = workDir('noop');

await rm(work, { recursive: true, force: true });
const src = join(work, 'source');
for (let i = 0; i < items; i++) {
  const d = join(src, `item-${String(i).padStart(5, '0')}`);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'payload.txt'), `item ${i}\n`.repeat(100));
}
const env = { ...process.env, CLAAS_CACHE_DIR: join(work, 'cache') };
const lib = join(work, 'library');
const first = await mustRun(process.execPath, [cli, 'publish', src, '--to', lib, '--quiet'], env);
const noop = await mustRun(process.execPath, [cli, 'publish', src, '--to', lib, '--json'], env);
const r = JSON.parse(noop.stdout) as { committed: boolean };
if (r.committed) throw new Error('the no-op publish committed a new version');
console.log(`\n### No-op re-publish, ${items} items (local folder)\n`);
console.log(tableHead(['run', 'wall time', 'peak RSS']));
console.log(row(['first publish', fmtMs(first.ms), fmtRss(first)]));
console.log(row(['no-op re-publish', fmtMs(noop.ms), fmtRss(noop)]));
console.log(
  `\nno-op / first = ${(noop.ms / first.ms).toFixed(3)} (the no-op is ${times(first.ms, noop.ms, 1)} faster)`,
);
await rm(work, { recursive: true, force: true });
