// Tests for src/content/scan.ts: item kinds and names from a generated source tree, skipped entries,
// name and permission errors, progress, and incremental hashing with the hash cache.

import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, test } from 'node:test';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { HashCache } from '../../../src/content/hash-cache.js';
import { scanSource, type ScanProgress } from '../../../src/content/scan.js';
import { assertClaasError, manifestFor, ovfXml, random, sha, tempDir, writeSampleOva } from './fixtures.js';

describe('scanSource', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  async function put(rel: string, data: Uint8Array | string): Promise<string> {
    const path = join(dir, rel);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, data);
    return path;
  }

  /** An OVF template folder with a manifest. */
  async function putOvfFolder(name: string, opts: { vapp?: boolean } = {}): Promise<Buffer> {
    const disk = random(40_000);
    const ovf = ovfXml({
      files: [{ href: 'disk1.vmdk', size: disk.length }],
      annotation: `${name} template`,
      ...opts,
    });
    await put(`${name}/${name}.ovf`, ovf);
    await put(`${name}/disk1.vmdk`, disk);
    await put(`${name}/${name}.mf`, manifestFor({ [`${name}.ovf`]: Buffer.from(ovf), 'disk1.vmdk': disk }));
    return disk;
  }

  it('turns folders, OVAs, ISOs and files into sorted items', async () => {
    const disk = await putOvfFolder('photon');
    await putOvfFolder('vapp', { vapp: true });
    await put('ubuntu/ubuntu-24.04.iso', random(3000));
    await put('tools/a.bin', random(10));
    await put('tools/b.txt', 'b');
    await put('tools/nested/ignored.txt', 'x');
    await put('alpine.iso', random(2000));
    await put('readme.txt', 'hello');
    await put('.hidden', 'x');
    await put('lib.json', '{}');
    await put('items.json', '{}');
    await put('photon/item.json', '{}');
    await mkdir(join(dir, 'empty'));
    const { members } = await writeSampleOva(join(dir, 'Debian 12.ova'));
    await symlink(join(dir, 'readme.txt'), join(dir, 'linked.txt'));
    await symlink(join(dir, 'tools'), join(dir, 'tools-link'));

    const events: ScanProgress[] = [];
    const { items, warnings, stats } = await scanSource(dir, { onProgress: (e) => events.push(e) });

    assert.deepEqual(
      items.map((i) => [i.name, i.type]),
      [
        ['Debian 12', 'vcsp.ovf'],
        ['alpine', 'vcsp.iso'],
        ['linked.txt', 'vcsp.other'],
        ['photon', 'vcsp.ovf'],
        ['readme.txt', 'vcsp.other'],
        ['tools', 'vcsp.other'],
        ['ubuntu', 'vcsp.iso'],
        ['vapp', 'vcsp.ovf'],
      ],
    );
    const byName = new Map(items.map((i) => [i.name, i]));
    const photon = byName.get('photon')!;
    assert.deepEqual(
      photon.files.map((f) => f.name),
      ['disk1.vmdk', 'photon.mf', 'photon.ovf'],
    );
    assert.equal(photon.files[0]!.sha256, sha('sha256', disk));
    // With the stat it was hashed at, so an upload can trust the hash while the file keeps it.
    const diskStat = await stat(join(dir, 'photon', 'disk1.vmdk'));
    assert.deepEqual(photon.files[0]!.origin, {
      kind: 'file',
      path: join(dir, 'photon', 'disk1.vmdk'),
      stat: { size: diskStat.size, mtimeMs: diskStat.mtimeMs, ino: diskStat.ino },
    });
    assert.equal(photon.description, 'photon template');
    assert.equal(photon.isVappTemplate, false);
    assert.equal(byName.get('vapp')!.isVappTemplate, true);
    assert.equal(byName.get('tools')!.files.length, 2);

    const ova = byName.get('Debian 12')!;
    assert.equal(ova.sourcePath, join(dir, 'Debian 12.ova'));
    assert.equal(ova.description, 'Photon OS');
    for (const f of ova.files) {
      assert.equal(f.origin.kind, 'file-range');
      assert.equal(f.sha256, sha('sha256', members[f.name]!));
    }

    const messages = warnings.map((w) => w.message).join('\n');
    assert.match(messages, /nested folder tools\/nested is ignored/);
    assert.match(messages, /folder empty is empty/);
    assert.match(messages, /tools-link is a symbolic link to a folder/);
    assert.equal(warnings.length, 3, messages);

    const allFiles = items.flatMap((i) => i.files);
    assert.equal(stats.files, allFiles.length);
    assert.equal(
      stats.bytes,
      allFiles.reduce((n, f) => n + f.size, 0),
    );
    assert.equal(stats.hashedBytes, stats.bytes);
    assert.equal(stats.cachedFiles, 0);
    const last = events.at(-1)!;
    assert.equal(last.bytes, last.total);
    assert.equal(last.total, stats.bytes);
  });

  it('hashes only changed files on the next scan with a hash cache', async () => {
    await putOvfFolder('photon');
    await writeSampleOva(join(dir, 'debian.ova'));
    await put('tools/a.bin', random(20_000));
    const changing = await put('tools/b.bin', random(30_000));
    const cacheFile = join(dir, '.cache', 'hash-cache.json');

    const first = await scanSource(dir, { hashCache: await HashCache.load(cacheFile) });
    assert.equal(first.stats.hashedBytes, first.stats.bytes);

    // A new process: the cache comes from disk.
    const second = await scanSource(dir, { hashCache: await HashCache.load(cacheFile) });
    assert.equal(second.stats.hashedBytes, 0);
    assert.equal(second.stats.cachedFiles, second.stats.files);
    assert.deepEqual(second.items, first.items);

    const fresh = random(30_000);
    await writeFile(changing, fresh);
    const later = new Date(Date.now() + 10_000);
    await utimes(changing, later, later);
    const third = await scanSource(dir, { hashCache: await HashCache.load(cacheFile) });
    assert.equal(third.stats.hashedBytes, 30_000);
    assert.equal(third.stats.cachedFiles, third.stats.files - 1);
    const b = third.items.find((i) => i.name === 'tools')!.files.find((f) => f.name === 'b.bin')!;
    assert.equal(b.sha256, sha('sha256', fresh));
  });

  it('rejects a folder with two descriptors', async () => {
    await put('two/a.ovf', ovfXml({ files: [] }));
    await put('two/b.ovf', ovfXml({ files: [] }));
    await assertClaasError(() => scanSource(dir), 'BAD_INPUT', join(dir, 'two'), /2 OVF descriptors/);
  });

  it('rejects an OVF folder with a missing disk before hashing anything', async () => {
    await put('big/zz.bin', random(10));
    await put('photon/photon.ovf', ovfXml({ files: [{ href: 'disk1.vmdk' }] }));
    let hashed = 0;
    await assertClaasError(
      () => scanSource(dir, { onProgress: () => hashed++ }),
      'BAD_INPUT',
      join(dir, 'photon', 'photon.ovf'),
      /disk1\.vmdk/,
    );
    assert.equal(hashed, 0);
  });

  it('rejects two sources with the same item name, naming both', async () => {
    await put('photon.iso', random(10));
    await put('photon/a.txt', 'a');
    const e = await assertClaasError(() => scanSource(dir), 'BAD_INPUT', dir, /"photon"/);
    assert.ok(e.message.includes(join(dir, 'photon.iso')) && e.message.includes(join(dir, 'photon')));
  });

  it('rejects unsafe and over-long item names', async () => {
    const cases = [' leading', 'trailing ', 'back\\slash', 'ctl\u0001x', 'x'.repeat(81)];
    for (const name of cases) {
      const { dir: d, cleanup: c } = await tempDir();
      try {
        await mkdir(join(d, name));
        await writeFile(join(d, name, 'f.txt'), 'x');
        await assertClaasError(() => scanSource(d), 'BAD_INPUT', name, /cannot be used/);
      } finally {
        await c();
      }
    }
    await put(`${'y'.repeat(80)}/f.txt`, 'ok'); // exactly 80 is fine
    assert.equal((await scanSource(dir)).items.length, 1);
  });

  it('rejects a root that is missing or not a folder', async () => {
    await assertClaasError(() => scanSource(join(dir, 'nope')), 'NOT_FOUND', join(dir, 'nope'));
    const file = await put('file.txt', 'x');
    await assertClaasError(() => scanSource(file), 'BAD_INPUT', file, /not a folder/);
  });

  it(
    'rejects an unreadable file, naming it',
    { skip: process.getuid?.() === 0 && 'root reads everything' },
    async () => {
      const path = await put('tools/secret.bin', 'x');
      await chmod(path, 0o000);
      const e = await assertClaasError(() => scanSource(dir), 'BAD_INPUT', path, /permission denied/);
      assert.match(e.hint ?? '', /permissions/);
      await chmod(path, 0o600);
      const folder = join(dir, 'locked');
      await put('locked/a.txt', 'x');
      await chmod(folder, 0o000);
      await assertClaasError(() => scanSource(dir), 'BAD_INPUT', folder, /permission denied/);
      await chmod(folder, 0o700);
    },
  );

  it('refuses a symbolic link to a file outside the source folder, naming the link, unless told to follow it', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'claas-outside-'));
    try {
      await writeFile(join(outside, 'id_rsa'), 'PRIVATE KEY');
      await put('tools/readme.txt', 'inside');
      await symlink(join(outside, 'id_rsa'), join(dir, 'tools', 'notes.txt'));
      const e = await assertClaasError(
        () => scanSource(dir),
        'BAD_INPUT',
        join(dir, 'tools', 'notes.txt'),
        /notes\.txt is a symbolic link to .*id_rsa, outside the source folder/,
      );
      assert.match(e.hint ?? '', /--follow-symlinks/);
      // A top-level link (an item of its own) too, and through a relative target.
      await rm(join(dir, 'tools', 'notes.txt'));
      await symlink(join('..', '..', outside.split('/').pop()!, 'id_rsa'), join(dir, 'tools', 'rel.txt'));
      await assertClaasError(() => scanSource(dir), 'BAD_INPUT', join(dir, 'tools', 'rel.txt'), /outside/);
      await rm(join(dir, 'tools', 'rel.txt'));
      await symlink(join(outside, 'id_rsa'), join(dir, 'key.txt'));
      await assertClaasError(() => scanSource(dir), 'BAD_INPUT', join(dir, 'key.txt'), /outside the source/);
      // Asked for, it is published; a link within the folder always is.
      await symlink(join(dir, 'tools', 'readme.txt'), join(dir, 'tools', 'again.txt'));
      const { items } = await scanSource(dir, { followSymlinks: true });
      assert.deepEqual(
        items.map((i) => [i.name, i.files.map((f) => f.name)]),
        [
          ['key.txt', ['key.txt']],
          ['tools', ['again.txt', 'readme.txt']],
        ],
      );
      await rm(join(dir, 'key.txt'));
      assert.deepEqual(
        (await scanSource(dir)).items[0]?.files.map((f) => f.name),
        ['again.txt', 'readme.txt'],
      );
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('says that a name is not valid UTF-8 instead of "does not exist"', async () => {
    await put('good/a.txt', 'x');
    const latin1 = Buffer.concat([Buffer.from(join(dir, 'caf')), Buffer.from([0xe9])]);
    await mkdir(latin1);
    await writeFile(Buffer.concat([latin1, Buffer.from('/menu.txt')]), 'x');
    const e = await assertClaasError(
      () => scanSource(dir),
      'BAD_INPUT',
      join(dir, 'caf'),
      /the name "caf\\xe9" in .* is not valid UTF-8/,
    );
    assert.match(e.hint ?? '', /rename it to a UTF-8 name/);
    await rm(latin1, { recursive: true });
    // Inside an item folder too; a hidden entry is skipped as ever.
    await writeFile(Buffer.concat([Buffer.from(join(dir, 'good', 'b')), Buffer.from([0xff, 0x41])]), 'x');
    await assertClaasError(
      () => scanSource(dir),
      'BAD_INPUT',
      join(dir, 'good'),
      /"b\\xffA" .* not valid UTF-8/,
    );
    await rm(Buffer.concat([Buffer.from(join(dir, 'good', 'b')), Buffer.from([0xff, 0x41])]));
    await writeFile(Buffer.concat([Buffer.from(join(dir, 'good', '.b')), Buffer.from([0xff])]), 'x');
    assert.deepEqual(
      (await scanSource(dir)).items.map((i) => i.name),
      ['good'],
    );
  });

  it('stops when aborted', async () => {
    await put('a/a.bin', random(10));
    const ctrl = new AbortController();
    ctrl.abort();
    await assert.rejects(scanSource(dir, { signal: ctrl.signal }), { name: 'AbortError' });
  });
});

test('files are reported as hashed only when nothing checked later can refuse them (OVF with a manifest)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'claas-scan-hashed-'));
  try {
    await writeSampleSource(dir); // photon-mini (OVF + .mf), tools.iso, README.txt
    const seen: string[] = [];
    await scanSource(dir, { onFileHashed: (f) => seen.push(`${f.item}/${f.name}`) });
    assert.deepEqual(seen.sort(), ['README.txt/README.txt', 'tools/tools.iso']);
    // From the cache: nothing is hashed now, nothing is reported.
    const cache = HashCache.inMemory();
    await scanSource(dir, { hashCache: cache });
    const again: string[] = [];
    await scanSource(dir, { hashCache: cache, onFileHashed: (f) => again.push(f.name) });
    assert.deepEqual(again, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
