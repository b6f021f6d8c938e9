// Tests for src/content/ovf-item.ts: referenced files, declared sizes, manifest checks, extra files.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { buildOvfItem } from '../../../src/content/ovf-item.js';
import type { SourceFile } from '../../../src/content/types.js';
import { assertClaasError, manifestFor, ovfXml, random, sha, tempDir } from './fixtures.js';

describe('buildOvfItem', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  /** Writes files into dir and returns them as hashed SourceFiles. */
  async function files(contents: Record<string, Uint8Array | string>): Promise<SourceFile[]> {
    const out: SourceFile[] = [];
    for (const [name, value] of Object.entries(contents)) {
      const data = Buffer.from(value);
      const path = join(dir, name);
      await writeFile(path, data);
      out.push({ name, size: data.length, sha256: sha('sha256', data), origin: { kind: 'file', path } });
    }
    return out;
  }

  const build = (list: SourceFile[]) =>
    buildOvfItem({ name: 'photon', sourcePath: dir, descriptorName: 'photon.ovf', files: list });

  const disk1 = random(5000);
  const disk2 = random(7000);
  const descriptor = (sizes = true) =>
    ovfXml({
      files: [
        { href: 'disk1.vmdk', ...(sizes ? { size: 5000 } : {}) },
        { href: 'disk2.vmdk', ...(sizes ? { size: 7000 } : {}) },
      ],
      annotation: 'Photon OS',
    });

  it('builds an item with every file, the annotation, and warnings for unreferenced files', async () => {
    const mf = manifestFor({
      'photon.ovf': Buffer.from(descriptor()),
      'disk1.vmdk': disk1,
      'disk2.vmdk': disk2,
    });
    const list = await files({
      'photon.ovf': descriptor(),
      'disk2.vmdk': disk2,
      'disk1.vmdk': disk1,
      'photon.mf': mf,
      'photon.cert': 'cert',
      'README.txt': 'notes',
    });
    const { item, warnings } = await build(list);
    assert.equal(item.type, 'vcsp.ovf');
    assert.equal(item.description, 'Photon OS');
    assert.equal(item.isVappTemplate, false);
    assert.deepEqual(
      item.files.map((f) => f.name),
      ['README.txt', 'disk1.vmdk', 'disk2.vmdk', 'photon.cert', 'photon.mf', 'photon.ovf'],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /README\.txt is not referenced by photon\.ovf/);
  });

  it('rejects a missing disk, naming the .ovf and the disk', async () => {
    const list = await files({ 'photon.ovf': descriptor(), 'disk1.vmdk': disk1 });
    const e = await assertClaasError(
      () => build(list),
      'BAD_INPUT',
      join(dir, 'photon.ovf'),
      /references disk2\.vmdk, which is not in the folder/,
    );
    assert.ok(e.hint?.includes('disk2.vmdk'));
  });

  it('rejects a disk whose size differs from the descriptor', async () => {
    const list = await files({ 'photon.ovf': descriptor(), 'disk1.vmdk': disk1, 'disk2.vmdk': random(6999) });
    await assertClaasError(() => build(list), 'BAD_INPUT', join(dir, 'disk2.vmdk'), /7000 bytes/);
  });

  it('rejects a manifest with a wrong hash, naming the file', async () => {
    const mf = manifestFor({ 'disk1.vmdk': disk1, 'disk2.vmdk': random(7000) });
    const list = await files({
      'photon.ovf': descriptor(),
      'disk1.vmdk': disk1,
      'disk2.vmdk': disk2,
      'photon.mf': mf,
    });
    await assertClaasError(
      () => build(list),
      'BAD_INPUT',
      join(dir, 'disk2.vmdk'),
      /^manifest hash mismatch for disk2\.vmdk in photon\.mf: the file is corrupt or the manifest is stale$/,
    );
  });

  it('checks SHA-1 manifests against the bytes', async () => {
    const good = manifestFor({ 'disk1.vmdk': disk1, 'disk2.vmdk': disk2 }, 'SHA1');
    const list = await files({
      'photon.ovf': descriptor(false),
      'disk1.vmdk': disk1,
      'disk2.vmdk': disk2,
      'photon.mf': good,
    });
    const r = await build(list);
    assert.equal(r.hashedBytes, 12_000);
    await writeFile(join(dir, 'photon.mf'), manifestFor({ 'disk1.vmdk': random(5000) }, 'SHA1'));
    await assertClaasError(
      () => build(list),
      'BAD_INPUT',
      join(dir, 'disk1.vmdk'),
      /manifest hash mismatch for disk1\.vmdk/,
    );
  });

  it('rejects a manifest entry for a file that is not there', async () => {
    const mf = manifestFor({ 'disk1.vmdk': disk1, 'disk3.vmdk': disk2 });
    const list = await files({
      'photon.ovf': descriptor(),
      'disk1.vmdk': disk1,
      'disk2.vmdk': disk2,
      'photon.mf': mf,
    });
    await assertClaasError(() => build(list), 'BAD_INPUT', join(dir, 'photon.mf'), /disk3\.vmdk/);
  });
});
