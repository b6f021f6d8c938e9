// Invariant 6: bad input gets a clear error naming the input, a non-zero exit, and no write at the
// destination (the destination tree is byte-identical before and after).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile, readFile, symlink } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { writeSampleSource } from '../../src/demo/samples.js';
import { ovfDescriptor } from '../../src/demo/ovf.js';
import { spawnSync } from 'node:child_process';
import { CLI, cliEnv, runCli, startCliJson, withTempDir, isolatedEnv, treeDigest } from '../helpers/cli.js';

async function makeOva(path: string, members: { name: string; data: Buffer }[]): Promise<void> {
  const pack = tar.pack();
  for (const m of members) pack.entry({ name: m.name, size: m.data.length }, m.data);
  pack.finalize();
  await pipeline(pack, createWriteStream(path));
}

interface Case {
  name: string;
  /** Builds the bad source in `src`; returns the text the error must contain. */
  make(src: string, dir: string): Promise<string>;
  /** Destination override (default: an existing valid library). */
  dest?: (dir: string) => Promise<string>;
}

const descriptor = ovfDescriptor({
  name: 'vm',
  diskFile: 'vm-disk1.vmdk',
  diskFileSize: 4,
  capacityBytes: 1 << 20,
});

const cases: Case[] = [
  {
    name: 'truncated OVA',
    async make(src) {
      const p = join(src, 'broken.ova');
      await makeOva(p, [
        {
          name: 'vm.ovf',
          data: Buffer.from(
            ovfDescriptor({
              name: 'vm',
              diskFile: 'vm-disk1.vmdk',
              diskFileSize: 65536,
              capacityBytes: 1 << 20,
            }),
          ),
        },
        { name: 'vm-disk1.vmdk', data: Buffer.alloc(65536, 7) },
      ]);
      const full = await readFile(p);
      await writeFile(p, full.subarray(0, 4096));
      return 'broken.ova';
    },
  },
  {
    name: 'OVA that is not a tar archive',
    async make(src) {
      await writeFile(join(src, 'junk.ova'), Buffer.alloc(10_000, 0x41));
      return 'junk.ova';
    },
  },
  {
    name: 'OVF referencing a missing disk',
    async make(src) {
      await mkdir(join(src, 'vm'));
      await writeFile(join(src, 'vm', 'vm.ovf'), descriptor);
      return 'vm-disk1.vmdk';
    },
  },
  {
    name: 'manifest whose hash does not match',
    async make(src) {
      await mkdir(join(src, 'vm'));
      await writeFile(join(src, 'vm', 'vm.ovf'), descriptor);
      await writeFile(join(src, 'vm', 'vm-disk1.vmdk'), 'abcd');
      await writeFile(join(src, 'vm', 'vm.mf'), `SHA256(vm-disk1.vmdk)= ${'0'.repeat(64)}\n`);
      return 'vm-disk1.vmdk';
    },
  },
  {
    name: 'item name longer than 80 characters',
    async make(src) {
      const long = 'x'.repeat(81);
      await mkdir(join(src, long));
      await writeFile(join(src, long, 'f.txt'), 'x');
      return long;
    },
  },
  {
    name: 'unsafe item name (control character)',
    async make(src) {
      const bad = 'evil\u0007name';
      await mkdir(join(src, bad));
      await writeFile(join(src, bad, 'f.txt'), 'x');
      return 'evil';
    },
  },
  {
    name: 'unreadable file (dangling link)',
    async make(src) {
      await mkdir(join(src, 'files'));
      await symlink(join(src, 'nowhere', 'gone.bin'), join(src, 'files', 'gone.bin'));
      return 'gone.bin';
    },
  },
  {
    name: 'symbolic link to a file outside the source folder',
    async make(src, dir) {
      await writeFile(join(dir, 'private.key'), 'NOT FOR PUBLISHING');
      await mkdir(join(src, 'files'));
      await symlink(join(dir, 'private.key'), join(src, 'files', 'leak.txt'));
      return 'leak.txt is a symbolic link to';
    },
  },
  {
    name: 'folder name that is not valid UTF-8',
    async make(src) {
      const latin1 = Buffer.concat([Buffer.from(join(src, 'caf')), Buffer.from([0xe9])]);
      await mkdir(latin1);
      await writeFile(Buffer.concat([latin1, Buffer.from('/menu.txt')]), 'x');
      return 'the name "caf\\xe9" in';
    },
  },
  {
    name: 'destination that is a file',
    async make() {
      return 'is a file';
    },
    async dest(dir) {
      const p = join(dir, 'dest-file');
      await writeFile(p, 'not a folder');
      return p;
    },
  },
  {
    name: 'non-empty destination that is not a library',
    async make() {
      return 'not empty';
    },
    async dest(dir) {
      const p = join(dir, 'dest-other');
      await mkdir(p);
      await writeFile(join(p, 'precious.txt'), 'user data');
      return p;
    },
  },
];

for (const c of cases) {
  test(`bad input: ${c.name}`, async () => {
    await withTempDir(async (dir) => {
      const env = isolatedEnv(dir);
      const good = join(dir, 'good');
      await mkdir(good);
      await writeSampleSource(good);
      const lib = join(dir, 'library');
      const ok = await runCli(['publish', good, '--to', lib], { env });
      assert.equal(ok.code, 0, ok.stderr);

      const src = join(dir, 'source');
      await mkdir(src);
      await writeSampleSource(src);
      const expected = await c.make(src, dir);
      const dest = c.dest ? await c.dest(dir) : lib;
      const before = await treeDigest(dest).catch(() => ({}));
      const beforeFile = c.dest ? await readFile(dest).catch(() => undefined) : undefined;
      const r = await runCli(['publish', src, '--to', dest], { env });
      assert.notEqual(r.code, 0, `must fail: ${r.stdout}`);
      assert.match(r.stderr, /^error: /m);
      assert.ok(r.stderr.includes(expected), `the error must name ${JSON.stringify(expected)}: ${r.stderr}`);
      assert.match(r.stderr, /^ {2}fix: /m, 'the error must say what to do');
      assert.deepEqual(
        await treeDigest(dest).catch(() => ({})),
        before,
        'nothing may be written at the destination',
      );
      if (beforeFile) assert.deepEqual(await readFile(dest), beforeFile);
    });
  });
}

test('--follow-symlinks publishes what a link outside the source folder points to', async () => {
  await withTempDir(async (dir) => {
    const env = isolatedEnv(dir);
    const src = join(dir, 'source');
    await mkdir(join(src, 'files'), { recursive: true });
    await writeFile(join(dir, 'shared.txt'), 'shared bytes');
    await symlink(join(dir, 'shared.txt'), join(src, 'files', 'shared.txt'));
    const lib = join(dir, 'library');
    const refused = await runCli(['publish', src, '--to', lib], { env });
    assert.notEqual(refused.code, 0);
    const r = await runCli(['publish', src, '--to', lib, '--follow-symlinks'], { env });
    assert.equal(r.code, 0, r.stderr);
    const published = Object.keys(await treeDigest(lib)).find((k) => k.endsWith('/shared.txt'));
    assert.ok(published !== undefined, 'the link target is published');
    assert.equal(await readFile(join(lib, published), 'utf8'), 'shared bytes');
  });
});

test('a YAML alias bomb in claas.yaml is a configuration error naming the file, not "a bug in claas"', async () => {
  await withTempDir(async (dir) => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [prev, name] of [...'abcdef'].map((c, i) => [c, 'bcdefg'[i]!])) {
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = join(dir, 'claas.yaml');
    await writeFile(file, `library: templates\n${levels.join('\n')}\n`);
    for (const args of [
      ['status', '--config', file],
      ['publish', dir, '--config', file],
    ]) {
      const r = await runCli(args, { env: isolatedEnv(dir) });
      assert.equal(r.code, 65, `${args[0]}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: YAML aliases`, 'm'),
      );
      assert.doesNotMatch(r.stderr, /unexpected failure|bug in claas/);
    }
  });
});

test('a source folder path that is not valid UTF-8 is named as such, not as missing', async () => {
  await withTempDir(async (dir) => {
    const raw = Buffer.concat([Buffer.from(join(dir, 'sr')), Buffer.from([0xff]), Buffer.from('c')]);
    await mkdir(raw);
    await writeFile(Buffer.concat([raw, Buffer.from('/f.txt')]), 'x');
    // Node passes arguments on as UTF-8: the raw byte goes through a shell's printf.
    const r = spawnSync(
      'sh',
      [
        '-c',
        `exec "${process.execPath}" "${CLI}" publish "$(printf '${join(dir, 'sr')}\\377c')" --to "${join(dir, 'lib')}"`,
      ],
      { env: cliEnv(isolatedEnv(dir)), encoding: 'utf8' },
    );
    assert.equal(r.status, 65, r.stderr);
    assert.match(r.stderr, /is not valid UTF-8/);
    assert.doesNotMatch(r.stderr, /does not exist/);
  });
});

/** A name that would retitle the terminal and forge an "error:" line if printed raw. */
const FORGING = 'x\u001b]0;owned\u0007\u009b2J\nerror: forged \u202e';

function assertEscaped(text: string, what: string): void {
  assert.doesNotMatch(
    text,
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/,
    `${what}: raw control characters in ${JSON.stringify(text)}`,
  );
  assert.doesNotMatch(text, /^error: forged/m, `${what}: a forged "error:" line`);
}

test('terminal output escapes control characters in file, folder, library and tenant names', async () => {
  await withTempDir(async (dir) => {
    const env = isolatedEnv(dir);
    const src = join(dir, 'source');
    await mkdir(join(src, 'tools', FORGING), { recursive: true });
    await writeFile(join(src, 'tools', 'readme.txt'), 'x');
    const lib = join(dir, 'library');
    // A warning that names a folder (a nested folder is ignored).
    const ok = await runCli(['publish', src, '--to', lib], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assertEscaped(ok.stdout + ok.stderr, 'publish warning');
    assert.ok(ok.stderr.includes('x\\u001b]0;owned\\u0007\\u009b2J\\nerror: forged \\u202e'), ok.stderr);
    // An error that names an item (the folder name is refused).
    await mkdir(join(src, FORGING));
    await writeFile(join(src, FORGING, 'f.txt'), 'x');
    const bad = await runCli(['publish', src, '--to', lib], { env });
    assert.equal(bad.code, 65);
    assertEscaped(bad.stdout + bad.stderr, 'publish error');
    assert.equal(bad.stderr.match(/^error:/gm)?.length, 1, bad.stderr);
    // A library name from the store, in verify's verdict and in its JSON.
    const libJson = join(lib, 'lib.json');
    const doc = JSON.parse(await readFile(libJson, 'utf8')) as { name: string };
    await writeFile(libJson, JSON.stringify({ ...doc, name: FORGING }));
    for (const args of [[], ['--quiet'], ['--json']]) {
      const v = await runCli(['verify', `file:${lib}`, ...args], { env });
      assertEscaped(v.stdout + v.stderr, `verify ${args.join(' ')}`);
      if (args[0] === '--json') assert.ok(JSON.parse(v.stdout), 'still JSON');
    }
    // Tenant names on the command line.
    const tenants = join(dir, 'tenants.json');
    for (const args of [
      ['tenant', 'add', FORGING, '--library', 'templates', '--tenants', tenants],
      ['tenant', 'remove', FORGING, '--tenants', tenants],
    ]) {
      const t = await runCli(args, { env });
      assert.notEqual(t.code, 0);
      assertEscaped(t.stdout + t.stderr, args.slice(0, 2).join(' '));
    }
  });
});

test('claas serve: a password file others may read is warned about (as ssh does); a linked folder leads nowhere', async () => {
  await withTempDir(async (dir) => {
    const env = isolatedEnv(dir);
    const src = join(dir, 'source');
    await mkdir(src);
    await writeSampleSource(src);
    const lib = join(dir, 'library');
    assert.equal((await runCli(['publish', src, '--to', lib], { env })).code, 0);
    const secrets = join(dir, 'secrets');
    await mkdir(secrets);
    const pwFile = join(secrets, 'serve.pw');
    await writeFile(pwFile, 'serve-s3cret\n', { mode: 0o644 });
    await chmod(pwFile, 0o644);
    await symlink(secrets, join(lib, 'linkdir'));
    const server = await startCliJson<{ url: string }>(
      ['serve', lib, '--listen', '127.0.0.1:0', '--password-file', pwFile],
      env,
    );
    try {
      assert.match(
        server.stderr(),
        new RegExp(
          `^warning: password file ${pwFile} is accessible by group and others .*: chmod 600 ${pwFile}$`,
          'm',
        ),
      );
      assert.ok(!server.stderr().includes('serve-s3cret'));
      const base = server.info.url.replace(/\/lib\.json$/, '');
      const headers = { Authorization: `Basic ${Buffer.from('vcsp:serve-s3cret').toString('base64')}` };
      assert.equal((await fetch(`${base}/lib.json`, { headers })).status, 200);
      const leak = await fetch(`${base}/linkdir/serve.pw`, { headers });
      assert.equal(leak.status, 404);
      assert.ok(!(await leak.text()).includes('serve-s3cret'));
    } finally {
      await server.stop();
    }
    await chmod(pwFile, 0o600);
    const quiet = await startCliJson<{ url: string }>(
      ['serve', lib, '--listen', '127.0.0.1:0', '--password-file', pwFile],
      env,
    );
    await quiet.stop();
    assert.doesNotMatch(quiet.stderr(), /warning: password file/);
  });
});
