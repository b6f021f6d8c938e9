// Benchmark: the publish path's hashing throughput (`claas publish --dry-run --no-cache`, which reads and
// hashes every byte) against `sha256sum` on the same files. Target: ratio >= 0.9.
// Usage: node dist/bench/hash-throughput.js [MiB per file] [files]

import { mkdir, rm, open } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { bestOf, cli, fmtMs, mustRun, row, tableHead, workDir } from './lib.js';

const mib = Number(process.argv[2] ?? 512);
const count = Number(process.argv[3] ?? 2);
const work = workDir('hash');

await rm(work, { recursive: true, force: true });
const src = join(work, 'source');
const files: string[] = [];
for (let f = 0; f < count; f++) {
  const d = join(src, `disk-${f}`);
  await mkdir(d, { recursive: true });
  const p = join(d, 'disk.bin');
  const fh = await open(p, 'w');
  const chunk = randomBytes(8 << 20);
  for (let i = 0; i < mib / 8; i++) await fh.write(chunk);
  await fh.close();
  files.push(p);
}
const totalMiB = mib * count;
const env = { ...process.env, CLAAS_CACHE_DIR: join(work, 'cache') };
// Warm the page cache once so both read from memory, then take the best of 3 for each.
await mustRun('sha256sum', files);
const sum = await bestOf(3, () => mustRun('sha256sum', files));
const claas = await bestOf(3, () =>
  mustRun(
    process.execPath,
    [cli, 'publish', src, '--to', join(work, 'lib'), '--dry-run', '--no-cache', '--quiet'],
    env,
  ),
);
const rate = (ms: number) => `${(totalMiB / (ms / 1000)).toFixed(0)} MiB/s`;
console.log(`\n### Hashing throughput, ${count} x ${mib} MiB (page cache warm)\n`);
console.log(tableHead(['tool', 'wall time', 'throughput']));
console.log(row(['sha256sum', fmtMs(sum.ms), rate(sum.ms)]));
console.log(row(['claas publish --dry-run --no-cache', fmtMs(claas.ms), rate(claas.ms)]));
console.log(`\nclaas / sha256sum throughput ratio = ${(sum.ms / claas.ms).toFixed(2)} (target >= 0.9)`);
await rm(work, { recursive: true, force: true });
