// Tests for src/demo/samples.ts: the sample source folder of `claas demo` holds a valid OVF template, ISO
// image and README, identical every time it is written.

import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { sha256Bytes } from '../../../src/content/hash.js';
import { writeSampleSource } from '../../../src/demo/samples.js';
import {
  GRAIN,
  MiB,
  checkVmdk,
  isoRoot,
  noIsoinfo,
  noQemuImg,
  readThroughDirectory,
  run,
  useTempDir,
  xml,
} from './readers.js';

const dir = useTempDir('claas-samples-');

async function listFiles(root: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe('writeSampleSource', () => {
  test('creates the OVF folder, ISO and README, identically every time', async () => {
    const a = join(dir(), 'source-a');
    const b = join(dir(), 'source-b');
    const result = await writeSampleSource(a);
    await writeSampleSource(b);
    assert.deepEqual(result.items, ['photon-mini', 'tools.iso', 'README.txt']);
    const files = await listFiles(a);
    assert.deepEqual(files, [
      'README.txt',
      'photon-mini/photon-mini-disk1.vmdk',
      'photon-mini/photon-mini.mf',
      'photon-mini/photon-mini.ovf',
      'tools.iso',
    ]);
    assert.deepEqual(await listFiles(b), files);
    for (const f of files) {
      assert.ok((await readFile(join(a, f))).equals(await readFile(join(b, f))), `${f} is deterministic`);
    }

    const vmdkPath = join(a, 'photon-mini/photon-mini-disk1.vmdk');
    const vmdk = await readFile(vmdkPath);
    const { footer } = checkVmdk(vmdk, 'photon-mini-disk1.vmdk', 64 * MiB);
    const start = readThroughDirectory(vmdk, footer, GRAIN);
    const text = start.toString('latin1').replace(/\0+$/, '');
    assert.ok(text.length >= 2048 && text.length <= GRAIN, `a few KB of data (${text.length})`);

    const ovf = await readFile(join(a, 'photon-mini/photon-mini.ovf'), 'utf8');
    const env = xml.parse(ovf).Envelope;
    assert.equal(env.References.File['@ovf:href'], 'photon-mini-disk1.vmdk');
    assert.equal(env.References.File['@ovf:size'], String((await stat(vmdkPath)).size));
    assert.equal(env.DiskSection.Disk['@ovf:capacity'], String(64 * MiB));

    const mf = await readFile(join(a, 'photon-mini/photon-mini.mf'), 'utf8');
    const expected = await Promise.all(
      ['photon-mini.ovf', 'photon-mini-disk1.vmdk'].map(
        async (n) => `SHA256(${n})= ${sha256Bytes(await readFile(join(a, 'photon-mini', n)))}\n`,
      ),
    );
    assert.equal(mf, expected.join(''));

    const iso = await readFile(join(a, 'tools.iso'));
    const readme = isoRoot(iso).find((r) => r.id === 'README.TXT;1');
    assert.ok(readme && readme.size > 0);
    assert.match(iso.toString('latin1', readme.extent * 2048, readme.extent * 2048 + readme.size), /claas/);
    assert.match(await readFile(join(a, 'README.txt'), 'utf8'), /photon-mini/);
  });

  test('the sample files pass qemu-img and isoinfo', { skip: noQemuImg || noIsoinfo }, async () => {
    const src = join(dir(), 'source-tools');
    await writeSampleSource(src);
    const info = (await run('qemu-img', ['info', join(src, 'photon-mini/photon-mini-disk1.vmdk')])).stdout;
    assert.match(info, /file format: vmdk/);
    assert.match(info, /virtual size: 64 MiB \(67108864 bytes\)/);
    assert.match(info, /create type: streamOptimized/);
    const readme = await run('isoinfo', ['-i', join(src, 'tools.iso'), '-x', '/README.TXT;1']);
    assert.match(readme.stdout, /claas sample ISO image/);
  });
});
