// Password files (serve, import, verify, subscribe, vCenter logins, the gateway's admin password): the first
// line, errors that name the file, and ssh's warning when group or others may read or change it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isClaasError } from '../../../src/errors.js';
import { readAdminPassword } from '../../../src/gateway/multi/from-config.js';
import { permissionWarning, readPasswordFile } from '../../../src/util/password-file.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'claas-pw-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a private file gives its first line and no warning', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'serve.pw');
    await writeFile(file, 's3cret\r\nsecond line\n', { mode: 0o600 });
    await chmod(file, 0o600);
    assert.deepEqual(await readPasswordFile(file, 'the password file'), { password: 's3cret' });
    await chmod(file, 0o400);
    assert.deepEqual(await readPasswordFile(file, 'the password file'), { password: 's3cret' });
  });
});

test('a file group or others may access is used, with a warning naming it and the fix', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'my pw');
    await writeFile(file, 's3cret\n');
    for (const [mode, who] of [
      [0o644, 'group and others'],
      [0o640, 'group'],
      [0o604, 'others'],
      [0o620, 'group'],
      [0o602, 'others'],
    ] as const) {
      await chmod(file, mode);
      const got = await readPasswordFile(file, 'the password file');
      assert.equal(got.password, 's3cret');
      assert.equal(
        got.warning,
        `password file ${file} is accessible by ${who} (permissions 0${mode.toString(8)} are too open); ` +
          `make it private: chmod 600 '${file}'`,
      );
      assert.ok(!got.warning.includes('s3cret'));
    }
  });
  assert.equal(permissionWarning('/etc/claas/pw', 0o100600), undefined);
  assert.match(permissionWarning('/etc/claas/pw', 0o100644) ?? '', /chmod 600 \/etc\/claas\/pw$/);
});

test('missing and empty files are errors naming the file (and never the password)', async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      readPasswordFile(join(dir, 'nope'), 'the password file given to --password-file'),
      (e) => {
        assert.ok(isClaasError(e, 'BAD_INPUT'));
        assert.equal(e.message, 'cannot read the password file given to --password-file');
        assert.equal(e.input, join(dir, 'nope'));
        assert.match(e.hint ?? '', /chmod 600.*ENOENT/);
        return true;
      },
    );
    const empty = join(dir, 'empty');
    await writeFile(empty, '\nnot the first line\n', { mode: 0o600 });
    await assert.rejects(readPasswordFile(empty, 'gateway.admin.passwordFile'), (e) => {
      assert.ok(isClaasError(e, 'BAD_INPUT'));
      assert.equal(e.message, 'gateway.admin.passwordFile is empty');
      return true;
    });
  });
});

test("the gateway's admin password file is read the same way, its warning handed to the caller", async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'admin.pw');
    await writeFile(file, 'admin-s3cret\n');
    await chmod(file, 0o644);
    const warnings: string[] = [];
    assert.equal(
      await readAdminPassword({ admin: { passwordFile: file } } as never, (w) => warnings.push(w)),
      'admin-s3cret',
    );
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      new RegExp(`password file ${file} is accessible by group and others .*chmod 600`),
    );
    await chmod(file, 0o600);
    warnings.length = 0;
    await readAdminPassword({ admin: { passwordFile: file } } as never, (w) => warnings.push(w));
    assert.deepEqual(warnings, []);
  });
});
