// Parsing command lines without running anything: each verb's options from argv (defaults, old spellings
// with their deprecation notices, errors on bad values), as src/cli/verb.ts parseArgv gives them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommanderError } from 'commander';
import { isClaasError } from '../../../src/errors.js';
import { parseArgv } from '../../../src/cli/verb.js';
import { verb as gc } from '../../../src/cli/commands/gc.js';
import { verb as serve } from '../../../src/cli/commands/serve.js';
import { verb as demo } from '../../../src/cli/commands/demo.js';
import { verb as deploy } from '../../../src/cli/commands/deploy.js';
import { verb as rollback } from '../../../src/cli/commands/rollback.js';
import { verb as gateway } from '../../../src/cli/commands/gateway.js';
import { verb as subscribe } from '../../../src/cli/commands/subscribe.js';
import { verb as mirror } from '../../../src/cli/commands/mirror.js';
import { verb as replicationPlan } from '../../../src/cli/commands/replication/plan.js';
import { verb as lifecyclePlan } from '../../../src/cli/commands/lifecycle/plan.js';
import { verb as snapshot } from '../../../src/cli/commands/archive/snapshot.js';
import { verb as retain } from '../../../src/cli/commands/archive/retain.js';
import { verb as restore } from '../../../src/cli/commands/archive/restore.js';
import { verb as tenantAdd } from '../../../src/cli/commands/tenant/add.js';
import { verb as importVcenter } from '../../../src/cli/commands/import/vcenter.js';
import { verb as importVcsp } from '../../../src/cli/commands/import/vcsp.js';

/** A ClaasError BAD_INPUT naming the flag. */
function badFlag(flag: string, message: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isClaasError(e, 'BAD_INPUT'), String(e));
    assert.equal(e.input, flag);
    assert.match(e.message, message);
    return true;
  };
}

const VC = ['--server', 'vc.example.com'];
const DEPLOY = ['--library', 'templates', '--item', 'photon', '--vm-name', 'vm1', ...VC];

describe('gc', () => {
  test('defaults: a 24 h grace period, no dry run', () => {
    const { options, notices } = parseArgv(gc, ['/srv/lib']);
    assert.deepEqual(options.location, { kind: 'fs', path: '/srv/lib' });
    assert.equal(options.graceMs, 24 * 3_600_000);
    assert.equal(options.dryRun, false);
    assert.deepEqual(notices, []);
  });

  test('--gc-grace takes a duration', () => {
    assert.equal(parseArgv(gc, ['/srv/lib', '--gc-grace', '90m']).options.graceMs, 90 * 60_000);
    assert.throws(() => parseArgv(gc, ['/srv/lib', '--gc-grace', 'soon']), badFlag('--gc-grace', /duration/));
  });

  test('the location is required (commander says so)', () => {
    assert.throws(
      () => parseArgv(gc, []),
      (e) => e instanceof CommanderError && /missing required argument/.test(e.message),
    );
  });
});

describe('serve and demo listen with --listen; --host and --port still work', () => {
  test('default 127.0.0.1:8080', () => {
    const { options, notices } = parseArgv(serve, ['/srv/lib']);
    assert.deepEqual(options.listen, { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(notices, []);
  });

  test('--listen host:port, [IPv6]:port, :port', () => {
    assert.deepEqual(parseArgv(serve, ['/srv/lib', '--listen', '0.0.0.0:9000']).options.listen, {
      host: '0.0.0.0',
      port: 9000,
    });
    assert.deepEqual(parseArgv(serve, ['/srv/lib', '--listen', '[::1]:0']).options.listen, {
      host: '::1',
      port: 0,
    });
    assert.deepEqual(parseArgv(serve, ['/srv/lib', '--listen', ':443']).options.listen, {
      host: '0.0.0.0',
      port: 443,
    });
  });

  test('--host and --port: the same address, and a deprecation notice for each', () => {
    const { options, notices } = parseArgv(serve, ['/srv/lib', '--host', '0.0.0.0', '--port', '0']);
    assert.deepEqual(options.listen, { host: '0.0.0.0', port: 0 });
    assert.deepEqual(notices, [
      'claas: --host is deprecated for serve; use --listen',
      'claas: --port is deprecated for serve; use --listen',
    ]);
    assert.deepEqual(parseArgv(serve, ['/srv/lib', '--port', '9090']).options.listen, {
      host: '127.0.0.1',
      port: 9090,
    });
    const d = parseArgv(demo, ['--host', '0.0.0.0']);
    assert.deepEqual(d.options.listen, { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(d.notices, ['claas: --host is deprecated for demo; use --listen']);
  });

  test('bad values and mixed spellings are refused', () => {
    assert.throws(
      () => parseArgv(serve, ['/srv/lib', '--listen', 'localhost']),
      badFlag('--listen', /host:port/),
    );
    assert.throws(
      () => parseArgv(serve, ['/srv/lib', '--listen', '1.2.3.4:70000']),
      badFlag('--listen', /host:port/),
    );
    assert.throws(() => parseArgv(serve, ['/srv/lib', '--port', 'http']), badFlag('--port', /whole number/));
    assert.throws(
      () => parseArgv(serve, ['/srv/lib', '--listen', ':80', '--host', 'x']),
      badFlag('--host', /--listen/),
    );
    assert.throws(
      () => parseArgv(serve, ['/srv/lib', '--tls-cert', 'c.pem']),
      /--tls-cert and --tls-key go together/,
    );
  });

  test('gateway: --listen is parsed the same way; without it the configuration decides', () => {
    assert.equal(parseArgv(gateway, []).options.listen, undefined);
    assert.deepEqual(parseArgv(gateway, []).options.configs, ['claas.yaml']);
    assert.deepEqual(parseArgv(gateway, ['--listen', '127.0.0.1:0']).options.listen, {
      host: '127.0.0.1',
      port: 0,
    });
    assert.throws(() => parseArgv(gateway, ['--listen', 'nonsense']), badFlag('--listen', /host:port/));
    assert.throws(
      () => parseArgv(gateway, ['--self-signed', '--tls-cert', 'c.pem']),
      badFlag('--self-signed', /--self-signed/),
    );
  });
});

describe('the vCenter certificate flags say whose certificate they pin', () => {
  test('deploy: --vcenter-thumbprint and --vcenter-ca-file', () => {
    const { options, notices } = parseArgv(deploy, [
      ...DEPLOY,
      '--vcenter-thumbprint',
      'AA:BB',
      '--vcenter-ca-file',
      'ca.pem',
    ]);
    assert.deepEqual(options.login, { server: 'vc.example.com', thumbprint: 'AA:BB', caFile: 'ca.pem' });
    assert.deepEqual(notices, []);
  });

  test('deploy: the old --thumbprint / --ca-file still pin the vCenter, with a notice', () => {
    const { options, notices } = parseArgv(deploy, [
      ...DEPLOY,
      '--thumbprint',
      'AA:BB',
      '--ca-file',
      'ca.pem',
    ]);
    assert.equal(options.login.thumbprint, 'AA:BB');
    assert.equal(options.login.caFile, 'ca.pem');
    assert.deepEqual(notices, [
      'claas: --thumbprint is deprecated for deploy; use --vcenter-thumbprint',
      'claas: --ca-file is deprecated for deploy; use --vcenter-ca-file',
    ]);
    assert.throws(
      () => parseArgv(deploy, [...DEPLOY, '--thumbprint', 'AA', '--vcenter-thumbprint', 'BB']),
      badFlag('--thumbprint', /--vcenter-thumbprint only/),
    );
  });

  test('import vcenter: the same; import vcsp: --thumbprint pins the publisher, no notice', () => {
    const vc = parseArgv(importVcenter, ['--library', 'l', ...VC, '--to', '/srv/lib', '--thumbprint', 'AA']);
    assert.equal(vc.options.login.thumbprint, 'AA');
    assert.deepEqual(vc.notices, [
      'claas: --thumbprint is deprecated for import vcenter; use --vcenter-thumbprint',
    ]);
    const vcsp = parseArgv(importVcsp, [
      'https://gw.example.com/lib',
      '--to',
      '/srv/lib',
      '--thumbprint',
      'CC',
    ]);
    assert.equal(vcsp.options.thumbprint, 'CC');
    assert.equal(vcsp.options.url, 'https://gw.example.com/lib/lib.json');
    assert.deepEqual(vcsp.notices, []);
  });

  test('subscribe --config refuses login flags in either spelling, naming the one given', () => {
    assert.throws(
      () => parseArgv(subscribe, ['--config', 'claas.yaml', '--vcenter-thumbprint', 'AA']),
      badFlag('--config', /--vcenter-thumbprint does not go with it/),
    );
    assert.throws(
      () => parseArgv(subscribe, ['--config', 'claas.yaml', '--thumbprint', 'AA']),
      badFlag('--config', /--thumbprint does not go with it/),
    );
    const { options } = parseArgv(subscribe, ['--config', 'claas.yaml', '--vcenter', 'west', '--sync']);
    assert.deepEqual(options, {
      kind: 'rollout',
      config: 'claas.yaml',
      vcenters: ['west'],
      sync: true,
      syncTimeoutMs: 600_000,
    });
  });
});

describe('deploy', () => {
  test('--esxi-host names the ESXi host; --host is its old spelling', () => {
    assert.equal(parseArgv(deploy, [...DEPLOY, '--esxi-host', 'host-21']).options.esxiHost, 'host-21');
    const old = parseArgv(deploy, [...DEPLOY, '--host', 'host-21']);
    assert.equal(old.options.esxiHost, 'host-21');
    assert.deepEqual(old.notices, ['claas: --host is deprecated for deploy; use --esxi-host']);
  });

  test('bad --provisioning and --network values', () => {
    assert.throws(
      () => parseArgv(deploy, [...DEPLOY, '--provisioning', 'lazy']),
      badFlag('--provisioning', /thin, thick/),
    );
    assert.throws(() => parseArgv(deploy, [...DEPLOY, '--network', 'VM Network']), badFlag('--network', /=/));
    assert.deepEqual(parseArgv(deploy, [...DEPLOY, '--network', 'VM Network=net-1']).options.networks, [
      { from: 'VM Network', to: 'net-1' },
    ]);
  });
});

describe('rollback', () => {
  test('--item-version; --to is its old spelling (--to is a destination location elsewhere)', () => {
    const lib = ['--location', '/srv/lib'];
    const { options, notices } = parseArgv(rollback, ['extra', '--item-version', '2', ...lib]);
    assert.equal(options.itemVersion, 2);
    assert.deepEqual(notices, []);
    const old = parseArgv(rollback, ['extra', '--to', '2', ...lib]);
    assert.equal(old.options.itemVersion, 2);
    assert.deepEqual(old.notices, ['claas: --to is deprecated for rollback; use --item-version']);
  });

  test('one of --item-version and --library-version', () => {
    assert.throws(
      () => parseArgv(rollback, ['extra', '--location', '/l']),
      badFlag('--item-version', /--library-version/),
    );
    assert.throws(
      () =>
        parseArgv(rollback, ['extra', '--item-version', '1', '--library-version', '2', '--location', '/l']),
      badFlag('--item-version', /--library-version/),
    );
    assert.throws(
      () => parseArgv(rollback, ['extra', '--item-version', '0', '--location', '/l']),
      badFlag('--item-version', /greater than 0/),
    );
  });
});

describe('--json on the commands whose output is JSON by default', () => {
  test('replication plan: --json is --format json; another format with --json is refused', () => {
    const r = parseArgv(replicationPlan, ['--config', 'claas.yaml', '--json']);
    assert.equal(r.options.format, 'json');
    assert.equal(
      parseArgv(replicationPlan, ['--config', 'claas.yaml', '--format', 'terraform']).options.format,
      'terraform',
    );
    assert.throws(
      () => parseArgv(replicationPlan, ['--config', 'c.yaml', '--json', '--format', 'cli']),
      badFlag('--json', /--format cli/),
    );
    assert.throws(
      () => parseArgv(replicationPlan, ['--config', 'c.yaml', '--format', 'yaml']),
      badFlag('--format', /json, cli or terraform/),
    );
  });

  test('lifecycle plan: the rule flags and their defaults', () => {
    const { options } = parseArgv(lifecyclePlan, ['--location', 's3://b/lib', '--json']);
    assert.equal(options.format, 'json');
    assert.deepEqual(options.rules, {
      abortMultipartDays: 7,
      noncurrentDays: 30,
      keepNoncurrent: 3,
      expireDeleteMarkers: true,
      archive: { storageClass: 'GLACIER', days: 1, minSize: 128 * 1024 },
    });
    const off = parseArgv(lifecyclePlan, [
      '--archive-class',
      'none',
      '--noncurrent-days',
      '0',
      '--abort-multipart-days',
      '0',
    ]);
    assert.deepEqual(off.options.rules, { expireDeleteMarkers: true });
    assert.throws(
      () => parseArgv(lifecyclePlan, ['--noncurrent-days', '-1']),
      badFlag('--noncurrent-days', /whole number of days/),
    );
  });
});

describe('archive', () => {
  test('snapshot: --to is the archive it writes; files copied 4 at once by default', () => {
    const { options } = parseArgv(snapshot, ['--config', 'claas.yaml']);
    assert.equal(options.to, undefined);
    assert.equal(options.concurrency, 4);
    assert.deepEqual(options.target, { config: 'claas.yaml' });
    assert.equal(
      parseArgv(snapshot, ['--to', 's3://vault/a', '--location', '/l']).options.to,
      's3://vault/a',
    );
    assert.throws(
      () => parseArgv(snapshot, ['--concurrency', '0']),
      badFlag('--concurrency', /greater than 0/),
    );
  });

  test('restore: --archive is read, --to written; --dry-run only into the library', () => {
    const { options } = parseArgv(restore, ['v3-x', '--archive', '/vault', '--location', '/l']);
    assert.equal(options.archive, '/vault');
    assert.equal(options.to, undefined);
    assert.throws(
      () => parseArgv(restore, ['v3-x', '--to', '/new', '--dry-run']),
      badFlag('--dry-run', /--to/),
    );
  });

  test('retain: versions, and the rule only when a rule flag is given', () => {
    assert.deepEqual(parseArgv(retain, ['3', '5', '--location', '/l']).options.versions, [3, 5]);
    assert.equal(parseArgv(retain, ['--location', '/l']).options.rule, undefined);
    assert.deepEqual(parseArgv(retain, ['--keep-last', '6']).options.rule, { keepLast: 6, keepAll: false });
    assert.deepEqual(parseArgv(retain, ['--no-rule']).options.rule, { keepAll: false });
    assert.throws(() => parseArgv(retain, ['three']), badFlag('library version', /whole number/));
  });
});

describe('other verbs', () => {
  test('tenant add needs --library (commander) and a gateway (--config or --tenants)', () => {
    assert.throws(
      () => parseArgv(tenantAdd, ['acme', '--config', 'c.yaml']),
      (e) => e instanceof CommanderError,
    );
    assert.throws(
      () => parseArgv(tenantAdd, ['acme', '--library', 'templates']),
      badFlag('--config', /which gateway/),
    );
    const { options } = parseArgv(tenantAdd, [
      'acme',
      '--library',
      'a',
      '--library',
      'b',
      '--tenants',
      't.json',
    ]);
    assert.deepEqual(options, {
      gateway: { configs: [], tenantsFile: 't.json' },
      name: 'acme',
      libraries: ['a', 'b'],
    });
  });

  test('mirror: durations and counts parsed up front', () => {
    const { options } = parseArgv(mirror, ['--config', 'c.yaml', '--replica', 'west', '--no-server-side']);
    assert.equal(options.intervalMs, 30_000);
    assert.equal(options.gcGraceMs, 24 * 3_600_000);
    assert.equal(options.serverSide, false);
    assert.deepEqual(options.replicas, ['west']);
    assert.equal(options.concurrency, undefined, 'the mirror engine applies its own default');
    assert.throws(
      () => parseArgv(mirror, ['--config', 'c.yaml', '--concurrency', 'many']),
      badFlag('--concurrency', /whole number/),
    );
  });
});
