// The `sources:` and `archive:` sections of claas.yaml (claas run): the example loads with its
// defaults (intervals, maxDelete 50%) and paths relative to the file; mistakes are reported at their line
// and column; a vCenter that only a source reads from needs no subscription target, any other does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../../src/config/load.js';

const FILE = '/etc/claas/claas.yaml';
const HEAD = `library: templates
origin:
  location: s3://templates-east/lib
  endpoint: http://127.0.0.1:7480
`;
const VCENTERS = `vcenters:
  - name: vc-east
    server: vc.example.com
    user: reader@vsphere.local
    passwordFile: secrets/vc-east
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    if (e instanceof ConfigError) return e.messageLines();
    throw e;
  }
  assert.fail('the configuration loaded');
}

test('sources and archive: the issue example loads with defaults and absolute paths', () => {
  const config = parseConfig(
    `${HEAD}${VCENTERS}sources:
  - folder: ./templates
    interval: 30s
  - vcenter: vc-east
    library: Golden Images
    interval: 60s
    maxDelete: 10
  - vcsp: https://vc.example/cls/vcsp/lib/0d2a/lib.json
    maxDelete: "20%"
    passwordFile: vcsp-password
archive:
  schedule: "0 3 1 * *"
  to: s3://templates-audit/archives
  storageClass: GLACIER
`,
    FILE,
  );
  assert.deepEqual(config.sources, [
    { kind: 'folder', path: '/etc/claas/templates', intervalMs: 30_000, maxDelete: { percent: 50 } },
    {
      kind: 'vcenter',
      vcenter: 'vc-east',
      library: 'Golden Images',
      intervalMs: 60_000,
      maxDelete: { count: 10 },
    },
    {
      kind: 'vcsp',
      url: 'https://vc.example/cls/vcsp/lib/0d2a/lib.json',
      passwordFile: join('/etc/claas', 'vcsp-password'),
      intervalMs: 60_000,
      maxDelete: { percent: 20 },
    },
  ]);
  assert.deepEqual(config.archive, {
    schedule: '0 3 1 * *',
    to: 's3://templates-audit/archives',
    storageClass: 'GLACIER',
  });
  // The source-only vCenter has no subscription target, and needs none.
  assert.equal(config.vcenters?.[0]?.passwordFile, '/etc/claas/secrets/vc-east');
  // Defaults: 30 s for a folder, 60 s for remote sources; a relative archive folder is relative to the file.
  const other = parseConfig(
    `${HEAD}sources:\n  - folder: /srv/t\n  - vcsp: http://h/lib.json\narchive:\n  schedule: "*/5 * * * *"\n  to: archives\n`,
    FILE,
  );
  assert.deepEqual(
    other.sources?.map((s) => s.intervalMs),
    [30_000, 60_000],
  );
  assert.equal(other.archive?.to, '/etc/claas/archives');
  assert.equal(parseConfig(HEAD, FILE).sources, undefined);
});

test('sources: mistakes are reported with line and column', () => {
  const expectAll = (text: string, expect: RegExp[]) => {
    const lines = problems(text);
    for (const re of expect) {
      assert.ok(
        lines.some((l) => re.test(l)),
        `${re} not in:\n${lines.join('\n')}`,
      );
    }
  };
  // What the schema finds (reported before anything else is checked).
  expectAll(
    `${HEAD}sources:
  - folder: ./a
    vcsp: https://h/lib.json
  - folder: ./c
    interval: soon
  - folder: ./e
    library: nope
  - vcenter: vc-west
`,
    [
      /claas\.yaml:7:11: sources\[0\]\.vcsp: give exactly one of folder, vcenter \(with library\) or vcsp/,
      /claas\.yaml:9:15: sources\[1\]\.interval: expected a duration like 30s, 5m or 1h/,
      /claas\.yaml:11:14: sources\[2\]\.library: library does not apply to a folder source/,
      /claas\.yaml:12:5: sources\[3\]: a vcenter source needs library:/,
    ],
  );
  // What resolving finds.
  expectAll(
    `${HEAD}sources:
  - folder: ./a
  - vcenter: vc-west
    library: x
  - folder: ./b
    interval: 500ms
  - vcsp: ftp://h/lib.json
  - folder: ./d
    maxDelete: "150%"
  - folder: ./a
`,
    [
      /claas\.yaml:7:14: sources\[1\]\.vcenter: no vCenter "vc-west" in vcenters: \(there is no vcenters: section\)/,
      /claas\.yaml:10:15: sources\[2\]\.interval: the shortest interval is 1s/,
      /claas\.yaml:11:11: sources\[3\]\.vcsp: expected an http\(s\) URL, not ftp:/,
      /claas\.yaml:13:16: sources\[4\]\.maxDelete: a percentage is at most 100%/,
      /claas\.yaml:14:5: sources\[5\]: the same source as sources\[0\]/,
    ],
  );
});

test('archive: the schedule is a five-field cron expression, the location one claas reads', () => {
  const at = (archive: string) => problems(`${HEAD}archive:\n${archive}`);
  assert.match(
    at('  schedule: "0 3 1 * * *"\n  to: s3://b/a\n').join('\n'),
    /schedule: expected five cron fields/,
  );
  assert.match(
    at('  schedule: "61 3 * * *"\n  to: s3://b/a\n').join('\n'),
    /:\d+:\d+: archive\.schedule: not a cron/,
  );
  assert.match(
    at('  schedule: "0 3 * * *"\n  to: https://x/y\n').join('\n'),
    /archive\.to: An http\(s\) URL/,
  );
  assert.match(at('  schedule: "0 3 * * *"\n').join('\n'), /archive\.to: required field missing/);
});

test('vcenters: an entry without gateway, url or replica is refused unless a source reads from it', () => {
  const lines = problems(`${HEAD}${VCENTERS}`);
  assert.match(
    lines.join('\n'),
    /claas\.yaml:6:5: vcenters\[0\]: give exactly one of gateway, url or replica/,
  );
  // Two targets are still one too many, source or not.
  const two = problems(
    `${HEAD}${VCENTERS}    gateway: https://gw\n    url: https://x/lib.json\nsources:\n  - vcenter: vc-east\n    library: L\n`,
  );
  assert.match(two.join('\n'), /vcenters\[0\]\.url: give exactly one of gateway, url or replica/);
});
