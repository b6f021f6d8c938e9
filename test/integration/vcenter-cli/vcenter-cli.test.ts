// The vCenter commands against vcsim, through the CLI as a user runs them: `claas import vcenter` of a
// local library (an OVF template and an ISO uploaded through update sessions) into Ceph, checked with
// `claas verify --deep`, and again with nothing downloaded; `claas subscribe` (flags and --config) whose
// settings read back as sent; `claas deploy` returning a VM id.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_OVF_NAME, writeSampleSource } from '../../../src/demo/samples.js';
import {
  connectVcenter,
  createLocalLibrary,
  deleteLibrary,
  ensureItem,
  findLibraryByName,
  getSubscription,
  uploadItemFiles,
} from '../../../src/vcenter/index.js';
import type { UploadSource, VcenterApi } from '../../../src/vcenter/index.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  openTestStore,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { firstRef, requireVcsim, uniqueName, vcsimConnectOptions, vcsimSkip } from '../../helpers/vcsim.js';

const skip = vcsimSkip() || cephSkip();
let work = '';
let env: Record<string, string> = {};
let api: VcenterApi;
let libraryName = '';
let libraryId = '';
const buckets: string[] = [];
const cleanupLibraries: string[] = [];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function sourcesOf(files: { name: string; data: Buffer }[]): UploadSource[] {
  return files.map((f) => ({ name: f.name, size: f.data.length, sha256: sha(f.data), open: () => f.data }));
}

/** The files of a folder, for an upload. */
async function filesOf(dir: string): Promise<{ name: string; data: Buffer }[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (name) => ({ name, data: await readFile(join(dir, name)) })));
}

/** Login flags for vcsim: user and password file (never the password itself), certificate pinned. */
function login(): string[] {
  const v = requireVcsim();
  return [
    '--server',
    v.url,
    '--user',
    v.user,
    '--password-file',
    join(work, 'vc-password'),
    '--vcenter-thumbprint',
    v.info.thumbprint,
  ];
}

function s3Args(): string[] {
  return ['--profile', 'publisher', '--endpoint', cephEnv()!.endpoints['us-east-1'], '--region', 'us-east-1'];
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-vc-cli-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  await writeFile(join(work, 'vc-password'), `${requireVcsim().password}\n`, { mode: 0o600 });
  api = await connectVcenter(vcsimConnectOptions());
  libraryName = uniqueName('claas-import-src');
  const library = await createLocalLibrary(api, {
    name: libraryName,
    description: 'templates to import',
    datastoreId: firstRef('datastores').id,
  });
  libraryId = library.id;
  // The sample source: an OVF template folder (descriptor, streamOptimized disk, manifest) and an ISO.
  const src = join(work, 'src');
  await writeSampleSource(src);
  const ovf = await ensureItem(api, { libraryId, name: 'tiny', description: 'a tiny VM', type: 'ovf' });
  await uploadItemFiles(api, ovf.item.id, sourcesOf(await filesOf(join(src, SAMPLE_OVF_NAME))), {
    intervalMs: 50,
  });
  const iso = await ensureItem(api, { libraryId, name: 'tools', description: 'an ISO image', type: 'iso' });
  await uploadItemFiles(
    api,
    iso.item.id,
    sourcesOf([{ name: 'tools.iso', data: await readFile(join(src, 'tools.iso')) }]),
    { intervalMs: 50 },
  );
});

after(async () => {
  if (api !== undefined) {
    for (const id of [libraryId, ...cleanupLibraries])
      if (id) await deleteLibrary(api, id).catch(() => undefined);
    await api.logout();
  }
  for (const b of buckets) await deleteBucket(b);
  if (work) await rm(work, { recursive: true, force: true });
});

interface ImportJson {
  committed: boolean;
  library: { name: string; version: number };
  items: { name: string; action: string }[];
  download: { files: number; bytes: number };
}

test('import vcenter into Ceph, verify --deep, and again with nothing downloaded', { skip }, async () => {
  const bucket = uniqueBucketName('claas-import-vc');
  await createBucket(bucket);
  buckets.push(bucket);
  const to = `s3://${bucket}/lib`;
  const r = await runCli(
    ['import', 'vcenter', ...login(), '--library', libraryName, '--to', to, '--json', ...s3Args()],
    {
      env,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const first = JSON.parse(r.stdout) as ImportJson;
  assert.ok(first.committed);
  assert.equal(first.library.name, libraryName);
  assert.deepEqual(
    first.items.map((i) => [i.name, i.action]),
    [
      ['tiny', 'fetched'],
      ['tools', 'fetched'],
    ],
  );
  assert.equal(first.download.files, 4);

  const verified = await runCli(['verify', to, '--deep', ...s3Args()], { env });
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /^OK library ".*" version 1: 2 items, 4 files/m);

  // Names, descriptions and types came along; the OVF item stayed an OVF template.
  const store = await openTestStore('publisher', bucket, 'lib');
  const lib = JSON.parse((await store.readBytes('lib.json'))!.toString()) as { itemsHref: string };
  const index = JSON.parse((await store.readBytes(lib.itemsHref))!.toString()) as {
    items: { name: string; description: string; type: string; files: { name: string }[] }[];
  };
  assert.deepEqual(
    index.items.map((i) => [i.name, i.description, i.type, i.files.map((f) => f.name).sort()]),
    [
      [
        'tiny',
        'a tiny VM',
        'vcsp.ovf',
        [`${SAMPLE_OVF_NAME}-disk1.vmdk`, `${SAMPLE_OVF_NAME}.mf`, `${SAMPLE_OVF_NAME}.ovf`],
      ],
      ['tools', 'an ISO image', 'vcsp.iso', ['tools.iso']],
    ],
  );

  // Again, logging in from the environment this time: nothing is downloaded, nothing committed.
  const v = requireVcsim();
  const again = await runCli(
    [
      'import',
      'vcenter',
      '--server',
      v.url,
      '--vcenter-thumbprint',
      v.info.thumbprint,
      '--library',
      libraryName,
      '--to',
      to,
      '--json',
      ...s3Args(),
    ],
    { env: { ...env, CLAAS_VCENTER_USER: v.user, CLAAS_VCENTER_PASSWORD: v.password } },
  );
  assert.equal(again.code, 0, again.stderr);
  const second = JSON.parse(again.stdout) as ImportJson;
  assert.equal(second.committed, false);
  assert.equal(second.download.files, 0);
  assert.ok(second.items.every((i) => i.action === 'reused'));
});

test(
  'import vcenter: --item selects, an unknown item and a password flag are refused',
  { skip },
  async () => {
    const dest = join(work, 'only-tools');
    const r = await runCli(
      ['import', 'vcenter', ...login(), '--library', libraryName, '--item', 'tools', '--to', dest, '--json'],
      {
        env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as ImportJson).items.map((i) => i.name),
      ['tools'],
    );

    const missing = await runCli(
      ['import', 'vcenter', ...login(), '--library', libraryName, '--item', 'nope', '--to', dest],
      { env },
    );
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /has no item "nope"/);

    const flag = await runCli(
      [
        'import',
        'vcenter',
        '--server',
        'vc.example.test',
        '--user',
        'u',
        '--password',
        'secret',
        '--library',
        'l',
        '--to',
        dest,
      ],
      {
        env,
      },
    );
    assert.notEqual(flag.code, 0);
    assert.match(flag.stderr, /unknown option '--password'/);
  },
);

test(
  'subscribe creates a subscribed library whose settings read back as sent; again updates it',
  { skip },
  async () => {
    const name = uniqueName('claas-subscribed');
    await writeFile(join(work, 'sub-password'), 'subscriber-secret\n', { mode: 0o600 });
    const thumbprint = '0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9:0a:1b:2c:3d';
    const args = [
      'subscribe',
      ...login(),
      '--name',
      name,
      '--url',
      'https://gw.example.test:8443/templates/lib.json',
      '--subscription-password-file',
      join(work, 'sub-password'),
      '--subscription-thumbprint',
      thumbprint,
      '--on-demand',
      '--datastore',
      firstRef('datastores').id,
      '--sync',
      '--json',
    ];
    const r = await runCli(args, { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      created: boolean;
      library: { id: string };
      sync: { done: boolean; items: number };
    };
    cleanupLibraries.push(out.library.id);
    assert.ok(out.created);
    assert.ok(out.sync.done, 'vcsim records the sync');
    assert.ok(!r.stdout.includes('subscriber-secret'), 'the password is never printed');
    assert.deepEqual(await getSubscription(api, out.library.id), {
      subscriptionUrl: 'https://gw.example.test:8443/templates/lib.json',
      authenticationMethod: 'BASIC',
      userName: 'vcsp',
      sslThumbprint: thumbprint.toUpperCase(),
      onDemand: true,
      automaticSyncEnabled: true,
    });

    // A second run updates the library in place. (vcsim's PATCH applies only name and description; the
    // subscription part of the update request is covered by the unit tests of the API mapping.)
    const again = await runCli(
      [
        'subscribe',
        ...login(),
        '--name',
        name,
        '--description',
        'updated by claas',
        '--url',
        'http://gw2.example.test/templates/lib.json',
        '--json',
      ],
      { env },
    );
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as { created: boolean; library: { id: string } };
    assert.equal(second.created, false);
    assert.equal(second.library.id, out.library.id);
    assert.equal((await api.getLibrary(out.library.id)).description, 'updated by claas');
  },
);

test('subscribe --config rolls the subscription out to every vCenter listed', { skip }, async () => {
  const v = requireVcsim();
  const libraries = [uniqueName('claas-rollout-a'), uniqueName('claas-rollout-b')];
  await writeFile(join(work, 'sub-password'), 'subscriber-secret\n', { mode: 0o600 });
  const config = join(work, 'claas.yaml');
  await writeFile(
    config,
    [
      'library: templates',
      'origin:',
      '  location: s3://claas-origin/templates',
      'vcenters:',
      '  - name: sim-east',
      `    server: ${v.url}`,
      '    userEnv: SIM_USER',
      '    passwordFile: vc-password',
      `    thumbprint: "${v.info.thumbprint}"`,
      `    datastore: "${firstRef('datastores').id}"`,
      '    gateway: https://gw-east.example.test:8443/',
      `    libraries: [${libraries.join(', ')}]`,
      '    subscriptionPasswordFile: sub-password',
      '',
    ].join('\n'),
  );
  const r = await runCli(['subscribe', '--config', config, '--json'], { env: { ...env, SIM_USER: v.user } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as {
    ok: boolean;
    results: { library: string; ok: boolean; outcome: { library: { id: string } } }[];
  };
  assert.ok(out.ok);
  assert.deepEqual(
    out.results.map((x) => [x.library, x.ok]),
    libraries.map((l) => [l, true]),
  );
  for (const [i, result] of out.results.entries()) {
    cleanupLibraries.push(result.outcome.library.id);
    const sub = await getSubscription(api, result.outcome.library.id);
    assert.equal(sub.subscriptionUrl, `https://gw-east.example.test:8443/${libraries[i]}/lib.json`);
    assert.equal(sub.authenticationMethod, 'BASIC');
  }

  // A configuration mistake is reported at its line, before any vCenter is contacted.
  await writeFile(
    config,
    ['vcenters:', '  - name: x', '    server: vc', '    passwordFile: p', '    gatway: https://gw', ''].join(
      '\n',
    ),
  );
  const bad = await runCli(['subscribe', '--config', config], { env });
  assert.notEqual(bad.code, 0);
  assert.match(
    bad.stderr,
    /claas\.yaml:5:5: vcenters\[0\]\.gatway: unknown field \(did you mean "gateway"\?\)/,
  );
});

test('deploy returns the id of a VM made from the OVF template', { skip }, async () => {
  const vmName = uniqueName('claas-vm');
  const r = await runCli(
    [
      'deploy',
      ...login(),
      '--library',
      libraryName,
      '--item',
      'tiny',
      '--vm-name',
      vmName,
      '--resource-pool',
      firstRef('resourcePools').id,
      '--folder',
      firstRef('folders').id,
      '--datastore',
      firstRef('datastores').id,
      '--network',
      `VM Network=${firstRef('networks').id}`,
      '--json',
    ],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { vmId: string; resourceType: string };
  assert.match(out.vmId, /^vm-\d+$/);
  assert.equal(out.resourceType, 'VirtualMachine');

  const plain = await runCli(
    [
      'deploy',
      ...login(),
      '--library',
      libraryName,
      '--item',
      'tiny',
      '--vm-name',
      uniqueName('claas-vm'),
      '--resource-pool',
      firstRef('resourcePools').id,
      '-q',
    ],
    { env },
  );
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^vm-\d+\n$/, 'the VM id alone on stdout');

  const iso = await runCli(
    [
      'deploy',
      ...login(),
      '--library',
      libraryName,
      '--item',
      'tools',
      '--vm-name',
      'x',
      '--resource-pool',
      firstRef('resourcePools').id,
    ],
    { env },
  );
  assert.notEqual(iso.code, 0);
  assert.match(iso.stderr, /is of type iso, not an OVF template/);
  assert.equal(await findLibraryByName(api, 'no such library, surely'), undefined);
});
