// `claas tenant` and `claas access policy` as users run them (no store is contacted): passwords shown once
// and never stored, list/update/rotate/remove, clear errors; the policy documents for each role.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';

let work = '';
let config = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'claas-gw-cli-'));
  config = join(work, 'claas.yaml');
  await writeFile(
    config,
    [
      'library: templates',
      'origin:',
      '  location: s3://templates-east/lib',
      '  endpoint: http://127.0.0.1:9',
      '  region: us-east-1',
      '  credentials: { profile: publisher }',
      'replicas:',
      '  - name: west',
      '    location: s3://templates-east/lib',
      '    endpoint: http://127.0.0.1:10',
      '    region: us-west-2',
      '    mode: native',
      'gateway:',
      '  listen: 127.0.0.1:8443',
      '  prefer: [west, origin]',
      '  credentials: { profile: subscriber }',
      '  tenants: ./tenants.json',
      '',
    ].join('\n'),
  );
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('tenant add shows the password once; the file holds only its scrypt hash', async () => {
  const add = await runCli(['tenant', 'add', 'acme', '--library', 'templates', '--config', config, '--json']);
  assert.equal(add.code, 0, add.stderr);
  const doc = JSON.parse(add.stdout) as {
    password: string;
    user: string;
    urls: string[];
    libraries: string[];
  };
  assert.equal(doc.user, 'vcsp');
  assert.deepEqual(doc.urls, ['http://127.0.0.1:8443/templates/lib.json']);
  const file = join(work, 'tenants.json');
  assert.ok(!(await readFile(file, 'utf8')).includes(doc.password));
  assert.equal((await stat(file)).mode & 0o777, 0o600);

  const human = await runCli(['tenant', 'add', 'globex', '--library', 'templates', '--config', config]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /password \(shown once; store it now\): claas_[a-z0-9]{8}_\S{32}\n/);

  const list = await runCli(['tenant', 'list', '--config', config, '--json']);
  const listed = JSON.parse(list.stdout) as { tenants: Record<string, unknown>[] };
  assert.deepEqual(
    listed.tenants.map((t) => t.name),
    ['acme', 'globex'],
  );
  assert.ok(
    !list.stdout.includes('scrypt') && !list.stdout.includes('keyId') && !list.stdout.includes('claas_'),
  );
});

test('tenant errors: unknown library, duplicate, unknown tenant; update, rotate, remove', async () => {
  const typo = await runCli(['tenant', 'add', 'initech', '--library', 'tempaltes', '--config', config]);
  assert.equal(typo.code, 65);
  assert.match(typo.stderr, /no configuration names library "tempaltes"/);
  assert.match(typo.stderr, /known: templates/);
  const dup = await runCli(['tenant', 'add', 'acme', '--library', 'templates', '--config', config]);
  assert.equal(dup.code, 75);
  assert.match(dup.stderr, /already exists/);
  const missing = await runCli(['tenant', 'rotate', 'nobody', '--config', config]);
  assert.equal(missing.code, 66);
  const noConfig = await runCli(['tenant', 'list'], { cwd: work });
  assert.equal(noConfig.code, 65);
  assert.match(noConfig.stderr, /--config/);

  const rot = await runCli(['tenant', 'rotate', 'acme', '--config', config, '--json']);
  assert.equal(rot.code, 0, rot.stderr);
  assert.match((JSON.parse(rot.stdout) as { password: string }).password, /^claas_/);
  const upd = await runCli([
    'tenant',
    'update',
    'acme',
    '--library',
    'templates',
    '--config',
    config,
    '--json',
  ]);
  assert.equal(upd.code, 0, upd.stderr);
  const rm1 = await runCli(['tenant', 'remove', 'globex', '--config', config]);
  assert.equal(rm1.code, 0, rm1.stderr);
  const list = JSON.parse((await runCli(['tenant', 'list', '--config', config, '--json'])).stdout) as {
    tenants: { name: string; rotated?: string }[];
  };
  assert.deepEqual(
    list.tenants.map((t) => t.name),
    ['acme'],
  );
  assert.ok(list.tenants[0]!.rotated !== undefined);
});

test('access policy: subscriber and publisher documents, for a configuration or a bare location', async () => {
  const sub = await runCli(['access', 'policy', '--role', 'subscriber', '--config', config, '--json']);
  assert.equal(sub.code, 0, sub.stderr);
  const docs = JSON.parse(sub.stdout) as {
    policies: { store: string; kind: string; document: { Statement: { Action: string[] }[] } }[];
  };
  assert.deepEqual(
    docs.policies.map((p) => `${p.store}:${p.kind}`),
    ['west:identity', 'origin:identity'],
  );
  const actions = docs.policies.flatMap((p) => p.document.Statement.flatMap((s) => s.Action));
  assert.ok(actions.every((a) => ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation'].includes(a)));

  const withPrincipal = await runCli([
    'access',
    'policy',
    '--role',
    'subscriber',
    '--config',
    config,
    '--rgw-user',
    'subscriber',
    '--json',
  ]);
  assert.match(withPrincipal.stdout, /arn:aws:iam:::user\/subscriber/);

  const pub = await runCli(['access', 'policy', '--role', 'publisher', '--location', 's3://b-1/lib/x']);
  assert.equal(pub.code, 0, pub.stderr);
  assert.match(pub.stdout, /s3:PutObject/);
  assert.match(pub.stdout, /arn:aws:s3:::b-1\/lib\/x\/\*/);
  const repl = await runCli(['access', 'policy', '--role', 'replication', '--config', config, '--json']);
  assert.equal(repl.code, 0, repl.stderr);
  const bad = await runCli(['access', 'policy', '--role', 'admin', '--config', config]);
  assert.equal(bad.code, 65);
  assert.match(bad.stderr, /publisher, subscriber, replication/);
});

test('gateway: clear errors before anything listens', async () => {
  const listen = await runCli(['gateway', '--config', config, '--listen', 'nonsense'], { timeoutMs: 30_000 });
  assert.equal(listen.code, 65);
  assert.match(listen.stderr, /--listen takes host:port/);
  const tls = await runCli(['gateway', '--config', config, '--tls-cert', join(work, 'x.pem')], {
    timeoutMs: 30_000,
  });
  assert.equal(tls.code, 65);
  assert.match(tls.stderr, /--tls-cert and --tls-key go together/);
  const empty = await mkdtemp(join(tmpdir(), 'claas-gw-empty-'));
  try {
    const none = await runCli(['gateway'], { cwd: empty, timeoutMs: 30_000 });
    assert.equal(none.code, 66);
    assert.match(none.stderr, /cannot read the configuration file/);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
