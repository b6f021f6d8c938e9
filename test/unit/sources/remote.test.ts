// Small pure parts of the remote sources and the vCenter commands: item types and fingerprints of vCenter
// items, the redirect rule of VCSP imports, --network pairs, and the vcenters: rollout configuration.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vcenterFingerprint, vcspTypeOf } from '../../../src/sources/vcenter.js';
import { sameHost } from '../../../src/sources/vcsp-http.js';
import { parseNetworkMappings } from '../../../src/cli/commands/deploy.js';
import {
  parseRollout,
  storeLibJsonUrl,
  subscriptionUrlFor,
} from '../../../src/cli/commands/subscribe/rollout.js';

test('vCenter item types map to VCSP item types', () => {
  assert.equal(vcspTypeOf('ovf'), 'vcsp.ovf');
  assert.equal(vcspTypeOf('OVF'), 'vcsp.ovf');
  assert.equal(vcspTypeOf('iso'), 'vcsp.iso');
  assert.equal(vcspTypeOf('file'), 'vcsp.other');
  assert.equal(vcspTypeOf('vm-template'), 'vcsp.other');
  assert.equal(vcspTypeOf(undefined), 'vcsp.other');
});

test('a vCenter fingerprint follows content and files, not metadata or listing order', () => {
  const files = [
    { name: 'b.vmdk', size: 10, version: '1' },
    { name: 'a.ovf', size: 5, version: '1', checksum: { algorithm: 'SHA1' as const, checksum: 'ab' } },
  ];
  const base = vcenterFingerprint({ contentVersion: '3' }, files);
  assert.match(base, /^content version 3, files [0-9a-f]{16}$/);
  assert.equal(vcenterFingerprint({ contentVersion: '3' }, [...files].reverse()), base);
  assert.notEqual(vcenterFingerprint({ contentVersion: '4' }, files), base);
  assert.notEqual(vcenterFingerprint({ contentVersion: '3' }, [{ ...files[0]!, size: 11 }, files[1]!]), base);
  assert.notEqual(
    vcenterFingerprint({ contentVersion: '3' }, [{ ...files[0]!, version: '2' }, files[1]!]),
    base,
  );
  assert.notEqual(vcenterFingerprint({ contentVersion: '3' }, files.slice(1)), base);
  assert.match(vcenterFingerprint({}, files), /^content version n\/a/);
});

test('redirects are followed only within the library origin, or up from http to https', () => {
  const lib = new URL('https://Pub.example.com/lib/lib.json');
  assert.equal(sameHost(lib, new URL('https://pub.example.com/other/x')), true);
  assert.equal(sameHost(lib, new URL('https://pub.example.com:8443/x')), false, 'another port');
  assert.equal(sameHost(lib, new URL('http://pub.example.com/x')), false, 'a downgrade');
  assert.equal(sameHost(lib, new URL('https://cdn.example.com/x')), false, 'another host');
  assert.equal(
    sameHost(new URL('http://127.0.0.1:8080/lib.json'), new URL('https://127.0.0.1/x')),
    true,
    'an upgrade',
  );
  assert.equal(sameHost(new URL('http://127.0.0.1/lib.json'), new URL('http://localhost/x')), false);
  assert.equal(sameHost(lib, new URL('ftp://pub.example.com/x')), false);
});

test('--network pairs', () => {
  assert.deepEqual(parseNetworkMappings(['VM Network=network-7', 'a=b=c']), [
    { from: 'VM Network', to: 'network-7' },
    { from: 'a=b', to: 'c' },
  ]);
  assert.throws(() => parseNetworkMappings(['network-7']), /--network takes/);
  assert.throws(() => parseNetworkMappings(['x=']), /--network takes/);
});

const ROLLOUT = `
library: templates
origin:
  location: s3://claas-origin/libs/templates
  endpoint: http://rgw.example.test:7480
replicas:
  - name: us-west
    location: s3://claas-west/templates
    region: us-west-2
    mode: mirror
vcenters:
  - name: phl-vc01
    server: vc01.phl.example.test
    user: svc-claas@vsphere.local
    passwordFile: secrets/phl.password
    thumbprint: "AA:BB"
    datastore: datastore-12
    gateway: https://gw-east.example.test:8443/
    subscriptionPasswordFile: /etc/claas/sub.password
  - name: sfo-vc01
    server: vc01.sfo.example.test
    userEnv: SFO_USER
    passwordFile: /etc/claas/sfo.password
    replica: us-west
    libraries: [templates, isos]
  - name: lab
    server: lab-vc
    user: admin
    passwordFile: lab.password
    url: http://lab-gw/{library}/lib.json
`;

test('the vcenters: section: defaults, relative paths, and the URL each vCenter subscribes to', () => {
  const r = parseRollout(ROLLOUT, '/etc/claas/claas.yaml');
  assert.equal(r.vcenters.length, 3);
  const [phl, sfo, lab] = r.vcenters as [
    (typeof r.vcenters)[0],
    (typeof r.vcenters)[0],
    (typeof r.vcenters)[0],
  ];
  assert.equal(phl.passwordFile, '/etc/claas/secrets/phl.password');
  assert.equal(phl.subscriptionPasswordFile, '/etc/claas/sub.password');
  assert.equal(
    subscriptionUrlFor(phl, 'templates', r),
    'https://gw-east.example.test:8443/templates/lib.json',
  );
  assert.equal(
    subscriptionUrlFor(sfo, 'isos', r),
    'https://claas-west.s3.us-west-2.amazonaws.com/templates/lib.json',
  );
  assert.equal(subscriptionUrlFor(lab, 'my lib', r), 'http://lab-gw/my%20lib/lib.json');
  assert.equal(
    storeLibJsonUrl({
      location: 's3://claas-origin/libs/templates',
      endpoint: 'http://rgw.example.test:7480',
    }),
    'http://rgw.example.test:7480/claas-origin/libs/templates/lib.json',
  );
});

test('vcenters: mistakes are reported with their line and column', () => {
  // subscribe --config reads claas.yaml with the configuration loader: library and origin are required.
  const head = 'library: templates\norigin:\n  location: s3://claas-origin/templates\n';
  const bad = (text: string) => () => parseRollout(head + text, 'claas.yaml');
  assert.throws(
    bad('vcenters:\n  - name: a\n    server: s\n    user: u\n    passwordFile: p\n'),
    /claas\.yaml:5:5: vcenters\[0\]: give exactly one of gateway, url or replica/,
  );
  assert.throws(
    bad(
      'vcenters:\n  - name: a\n    server: s\n    user: u\n    userEnv: U\n    passwordFile: p\n    gateway: g\n    libraries: [x]\n',
    ),
    /claas\.yaml:8:14: vcenters\[0\]\.userEnv: give exactly one of user or userEnv/,
  );
  assert.throws(
    bad(
      'vcenters:\n  - name: a\n    server: s\n    user: u\n    passwordFile: p\n    replica: nowhere\n    libraries: [x]\n',
    ),
    /vcenters\[0\]\.replica: no replica "nowhere"/,
  );
  assert.throws(
    bad(
      'vcenters:\n  - name: a\n    server: s\n    user: u\n    passwordFile: p\n    gateway: g\n' +
        '  - name: A\n    server: s\n    user: u\n    passwordFile: p\n    gateway: g\n',
    ),
    /claas\.yaml:10:11: vcenters\[1\]\.name: "A" is listed twice/,
  );
  assert.throws(bad(''), /claas\.yaml has no vcenters: section/);
  assert.throws(
    bad('vcenters:\n  - name: a\n    server: s\n    user: u\n    password: hunter2\n    gateway: g\n'),
    /credentials do not belong in the configuration/,
  );
});
