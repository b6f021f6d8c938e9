// claas.yaml loading: the issues' examples load as written; every kind of mistake is reported as
// file:line:col: field.path: problem; secrets are refused without being repeated.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../../src/config/load.js';
import { storeLocation, storeWriteSettings } from '../../../src/config/schema.js';
import { isClaasError } from '../../../src/errors.js';
import { AWS_EXAMPLE, ISSUE_4_EXAMPLE, ISSUE_5_GATEWAY } from './examples.js';

test('the replication and gateway issue examples load as written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'claas-config-'));
  try {
    const file = join(dir, 'claas.yaml');
    await writeFile(file, `${ISSUE_4_EXAMPLE}${ISSUE_5_GATEWAY}`);
    const config = await loadConfig(file);
    assert.equal(config.file, file);
    assert.equal(config.library, 'templates');
    assert.deepEqual(config.origin, {
      name: 'origin',
      location: 's3://templates-east/lib',
      endpoint: 'http://127.0.0.1:7480',
      region: 'us-east-1',
      profile: 'publisher',
    });
    assert.deepEqual(
      config.replicas.map((r) => [r.name, r.mode, r.profile, r.region, r.account, r.storageClass]),
      [
        ['west', 'native', 'subscriber', 'us-west-2', undefined, undefined],
        ['client-a', 'mirror', 'client-a', 'us-east-1', '123456789012', 'ONEZONE_IA'],
      ],
    );
    assert.deepEqual(config.gateway, {
      listen: '127.0.0.1:8443',
      prefer: ['west', 'origin'],
      profile: 'subscriber',
      tenants: join(dir, 'tenants.json'),
    });
    assert.deepEqual(storeLocation(config.replicas[0]!, {}), {
      kind: 's3',
      bucket: 'templates-east',
      prefix: 'lib',
      endpoint: 'http://127.0.0.1:7481',
      region: 'us-west-2',
      profile: 'subscriber',
    });
    // Without a gateway section the configuration loads too.
    assert.equal((await loadConfig(file)).replicas.length, 2);
    await writeFile(file, ISSUE_4_EXAMPLE);
    assert.equal((await loadConfig(file)).gateway, undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('defaults, extensions and relative paths', () => {
  const config = parseConfig(
    `library: lib.1
origin: { location: "s3://b-one/x/y/", sse: AES256, storageClass: STANDARD_IA }
gateway:
  admin: { passwordFile: secrets/admin.pw }
  tls: { certFile: /etc/tls/cert.pem, keyFile: tls/key.pem }
replication: { roleName: my-role }
`,
    'conf/claas.yaml',
  );
  assert.deepEqual(config.replicas, []);
  assert.deepEqual(config.replication, { roleName: 'my-role' });
  assert.equal(config.file, join(process.cwd(), 'conf/claas.yaml'));
  const dir = join(process.cwd(), 'conf');
  assert.deepEqual(config.gateway, {
    listen: '127.0.0.1:8443',
    prefer: ['origin'],
    tenants: join(dir, 'tenants.json'),
    admin: { passwordFile: join(dir, 'secrets/admin.pw') },
    tls: { certFile: '/etc/tls/cert.pem', keyFile: join(dir, 'tls/key.pem') },
  });
  assert.equal(storeLocation(config.origin, {}).prefix, 'x/y');
  assert.deepEqual(storeWriteSettings(config.origin), {
    storageClass: 'STANDARD_IA',
    sse: { mode: 'AES256' },
  });
  const aws = parseConfig(AWS_EXAMPLE, 'claas.yaml');
  assert.deepEqual(storeWriteSettings(aws.origin), {
    sse: {
      mode: 'aws:kms',
      kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
  });
  assert.equal(aws.replicas[0]?.replicationTime, true);
  assert.equal(aws.replicas[1]?.replicationTime, false);
});

/** The error a configuration text gets; fails when it loads. */
function problems(text: string, file = 'claas.yaml'): ConfigError {
  try {
    parseConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.ok(isClaasError(e, 'BAD_INPUT'));
    assert.equal(e.input, file);
    assert.equal(e.message.split('\n').length, e.issues.length);
    return e;
  }
  assert.fail('the configuration loaded');
}

const lines = (text: string): string[] => text.split('\n');

/** ISSUE_4_EXAMPLE with one line replaced (1-based line number). */
function edit(lineNo: number, replacement: string, text = ISSUE_4_EXAMPLE): string {
  const l = lines(text);
  assert.ok(l[lineNo - 1] !== undefined);
  l[lineNo - 1] = replacement;
  return l.join('\n');
}

test('each mistake is reported as file:line:col: path: problem', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'bad mode',
      edit(12, '    mode: nativ'),
      [
        'claas.yaml:12:11: replicas[0].mode: expected "native" or "mirror", got "nativ" (did you mean "native"?)',
      ],
    ],
    [
      'typo in a key',
      edit(12, '    moed: native'),
      [
        'claas.yaml:8:5: replicas[0].mode: required field missing ("native" or "mirror")',
        'claas.yaml:12:5: replicas[0].moed: unknown field (did you mean "mode"?)',
      ],
    ],
    [
      'unknown key without a near match',
      edit(5, '  colour: blue'),
      ['claas.yaml:5:3: origin.colour: unknown field; fields here: location, endpoint, region, credentials,'],
    ],
    [
      'a library named like a gateway path',
      edit(1, 'library: ui'),
      [
        "claas.yaml:1:10: library: api, ui, healthz, metrics are the gateway's own paths: choose another library name",
      ],
    ],
    [
      'duplicate replica names',
      edit(14, '  - name: west'),
      ['claas.yaml:14:11: replicas[1].name: replica name "west" is already used by replicas[0]'],
    ],
    [
      'a replica named origin',
      edit(8, '  - name: origin'),
      ['claas.yaml:8:11: replicas[0].name: "origin" names the origin; give the replica another name'],
    ],
    [
      'bad account',
      edit(18, '    account: "12345"'),
      ['claas.yaml:18:14: replicas[1].account: expected a 12-digit AWS account id'],
    ],
    [
      'account as a number',
      edit(18, '    account: 123456789012'),
      ['claas.yaml:18:14: replicas[1].account: write the account id in quotes'],
    ],
    [
      'bad storage class',
      edit(19, '    storageClass: ONEZONE'),
      [
        'claas.yaml:19:19: replicas[1].storageClass: expected "STANDARD", "STANDARD_IA", "ONEZONE_IA", ' +
          '"INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER" or "DEEP_ARCHIVE", got "ONEZONE"',
      ],
    ],
    [
      'unknown prefer name',
      `${ISSUE_4_EXAMPLE}gateway:\n  prefer: [west, east]\n`,
      [
        'claas.yaml:23:18: gateway.prefer[1]: no replica is named "east"; known: "west", "client-a", "origin"',
      ],
    ],
    ['YAML syntax error', edit(6, '  credentials: { profile: publisher'), ['claas.yaml:7:1: YAML syntax: ']],
    [
      'duplicate YAML key',
      edit(5, '  endpoint: http://127.0.0.1:7480'),
      ['claas.yaml:5:3: YAML syntax: Map keys must be unique'],
    ],
    [
      'not an s3 location',
      edit(3, '  location: /srv/library'),
      ['claas.yaml:3:13: origin.location: expected an s3:// location.'],
    ],
    [
      'bad bucket name',
      edit(3, '  location: s3://Templates/lib'),
      ['claas.yaml:3:13: origin.location: Bucket name "Templates" may contain only lowercase letters'],
    ],
    [
      'native replica in another prefix',
      edit(9, '    location: s3://templates-east/other'),
      [
        'claas.yaml:9:15: replicas[0].location: native replication keeps object keys, so the prefix must be ' +
          'the origin\'s ("lib"), not "other"',
      ],
    ],
    [
      'the origin twice',
      edit(10, '    endpoint: http://127.0.0.1:7480'),
      ['claas.yaml:9:15: replicas[0].location: this is the same bucket, prefix and endpoint as origin'],
    ],
    [
      'profile and env both',
      edit(6, '  credentials: { profile: publisher, env: true }'),
      ['claas.yaml:6:16: origin.credentials: give either profile or env: true, not both'],
    ],
    [
      'missing field',
      ISSUE_4_EXAMPLE.replace('library: templates\n', ''),
      ['claas.yaml:1:1: library: required field missing (text)'],
    ],
    ['wrong type', edit(1, 'library: [a, b]'), ['claas.yaml:1:10: library: expected text, got a list']],
    [
      'bad endpoint',
      edit(4, '  endpoint: ftp://127.0.0.1'),
      ['claas.yaml:4:13: origin.endpoint: The S3 endpoint must be an http or https URL'],
    ],
    [
      'replication time on a mirror',
      edit(20, '    mode: mirror\n    replicationTime: true'),
      [
        'claas.yaml:21:22: replicas[1].replicationTime: Replication Time Control applies to mode: native only',
      ],
    ],
    [
      'a setting a zone replica cannot have',
      edit(12, '    mode: native\n    storageClass: GLACIER_IR'),
      [
        'claas.yaml:13:19: replicas[0].storageClass: this replica is the origin bucket seen through another endpoint',
      ],
    ],
    ['empty file', '', ['claas.yaml:1:1: the file is empty']],
  ];
  for (const [what, text, expected] of cases) {
    const e = problems(text);
    const got = lines(e.message);
    assert.equal(got.length, expected.length, `${what}: ${e.message}`);
    for (const [i, prefix] of expected.entries()) {
      assert.ok(got[i]?.startsWith(prefix), `${what}:\n  got      ${got[i]}\n  expected ${prefix}...`);
    }
  }
});

test('all problems are reported at once, in file order', () => {
  const text = edit(19, '    storageClass: ONEZONE', edit(12, '    mode: nativ'));
  const e = problems(text);
  assert.deepEqual(
    e.issues.map((i) => [i.line, i.col, i.path.join('.')]),
    [
      [12, 11, 'replicas.0.mode'],
      [19, 19, 'replicas.1.storageClass'],
    ],
  );
});

test('native replication checks: SSE-KMS origin needs replica keys given as ARNs; gateway cannot prefer archives', () => {
  const e = problems(
    `library: t
origin: { location: s3://src-bucket/lib, sse: aws:kms }
replicas:
  - { name: a, location: s3://dst-bucket/lib, mode: native }
  - { name: b, location: s3://dst-bucket2/lib, mode: native, kmsKeyId: 1234abcd }
  - { name: c, location: s3://dst-bucket3/lib, mode: mirror, storageClass: GLACIER }
gateway: { prefer: [c] }
`,
  );
  assert.deepEqual(lines(e.message), [
    'claas.yaml:4:5: replicas[0]: the origin writes SSE-KMS objects, which S3 replicates only with a destination key: set kmsKeyId',
    'claas.yaml:5:72: replicas[1].kmsKeyId: for native replication give the destination key as an ARN ' +
      '(arn:aws:kms:REGION:ACCOUNT:key/ID or :alias/NAME): S3 and the replication role policy need the full ARN',
    'claas.yaml:7:21: gateway.prefer[0]: replica "c" stores GLACIER, which cannot be read without a restore',
  ]);
});

test('secrets are refused and never repeated', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const keyId = 'AKIAIOSFODNN7EXAMPLE';
  const cases: Array<[string, string]> = [
    [
      edit(6, `  credentials: { profile: publisher, secret: "${secret}" }`),
      'claas.yaml:6:38: origin.credentials.secret: credentials do not belong',
    ],
    [
      edit(6, `  aws_secret_access_key: ${secret}`),
      'claas.yaml:6:3: origin.aws_secret_access_key: credentials do not belong',
    ],
    [
      edit(6, `  credentials: { accessKeyId: ${keyId}, profile: x }`),
      'claas.yaml:6:18: origin.credentials.accessKeyId: credentials do not belong',
    ],
    [
      `${ISSUE_4_EXAMPLE}gateway:\n  admin: { password: hunter2hunter2 }\n`,
      'claas.yaml:23:12: gateway.admin.password: credentials do not belong',
    ],
    [
      edit(6, `  credentials: { profile: "${secret}" }`),
      'claas.yaml:6:27: origin.credentials.profile: this value looks like an AWS secret access key',
    ],
    [
      edit(6, `  credentials: { profile: ${keyId} }`),
      'claas.yaml:6:27: origin.credentials.profile: this value looks like an AWS access key id',
    ],
  ];
  for (const [text, expected] of cases) {
    const e = problems(text);
    assert.ok(e.message.startsWith(expected), `got ${e.message}`);
    const shown = JSON.stringify({ ...e.toJSON(), issues: e.issues });
    for (const value of [secret, keyId, 'hunter2hunter2']) assert.ok(!shown.includes(value), shown);
    assert.match(e.hint ?? '', /profile: NAME/);
    assert.match(e.hint ?? '', /passwordFile/);
  }
  // An empty password: key is not a secret (only an unknown field), a passwordFile is a reference.
  const empty = problems(`${ISSUE_4_EXAMPLE}gateway:\n  admin: { password: }\n`);
  assert.match(empty.message, /gateway\.admin\.password: unknown field \(did you mean "passwordFile"\?\)/);
  assert.doesNotThrow(() =>
    parseConfig(`${ISSUE_4_EXAMPLE}gateway:\n  admin: { passwordFile: ./pw }\n`, 'c.yaml'),
  );
});

test('credentials in a location or endpoint are refused without being repeated', () => {
  for (const [text, path] of [
    [edit(3, '  location: s3://AKIDEXAMPLE:s3cr3t-pass@templates-east/lib'), 'origin.location'],
    [edit(4, '  endpoint: http://admin:s3cr3t-pass@127.0.0.1:7480'), 'origin.endpoint'],
  ] as const) {
    const e = problems(text);
    assert.match(
      e.message,
      new RegExp(`${path.replace('.', '\\.')}: The (s3 location|S3 endpoint) contains credentials`),
    );
    assert.ok(!e.message.includes('s3cr3t-pass'), e.message);
  }
});

test('YAML syntax errors do not quote the source', () => {
  const e = problems('library: t\n- secret-looking-token-value\nb: 1\n');
  assert.match(e.message, /^claas\.yaml:2:1: YAML syntax: /);
  assert.ok(!e.message.includes('secret-looking-token-value'), e.message);
});

test('a YAML alias bomb is a configuration error naming the file and the first alias, not a crash', () => {
  const bomb = [
    'library: templates',
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    '',
  ].join('\n');
  const e = problems(bomb, '/etc/claas/claas.yaml');
  assert.match(
    e.message,
    /^\/etc\/claas\/claas\.yaml:3:8: YAML aliases \(\*name\) expand to more than 100 copies .*billion laughs/,
  );
  assert.match(e.hint ?? '', /aliases/);
  // A few aliases are fine (and then the schema speaks).
  assert.doesNotMatch(problems('x: &x 1\ny: *x\n').message, /aliases/);
});

test('loadConfig: a missing file is NOT_FOUND, naming the path', async () => {
  await assert.rejects(loadConfig('/nonexistent/claas.yaml'), (e: unknown) => {
    assert.ok(isClaasError(e, 'NOT_FOUND'));
    assert.equal(e.input, '/nonexistent/claas.yaml');
    return true;
  });
});
