// What plan and status say while private objects an older claas wrote remain under the library prefix
// (replicate/apply-private-data.ts, issue 16): only for a library with a cross-account native replica, whose
// rule replicates the prefix, and only when there are some.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasCrossAccountNative, legacyPrivateNote } from '../../../src/replicate/apply-private-data.js';
import { AWS_EXAMPLE, config, ISSUE_4_EXAMPLE } from '../config/examples.js';

const legacy = {
  area: 's3://templates-us-east-1/claas-control/libraries/lib/',
  objects: 5,
  bytes: 1234,
  sample: ['.claas/audit/2020-01/a.json', '.claas/lock/t.json', '.claas/retain/1.json'],
};

test('a cross-account native replica: the note names the objects, the replica, and the way out', () => {
  const c = config(AWS_EXAMPLE);
  assert.ok(hasCrossAccountNative(c));
  const note = legacyPrivateNote(c, legacy);
  assert.ok(note !== undefined);
  assert.match(
    note,
    /^5 provider-private objects written by an older claas \(\.claas\/audit\/2020-01\/a\.json, /,
  );
  assert.match(note, /, …\)/, 'more than the sample');
  assert.match(note, /cross-account replica\(s\) "client-a"/);
  assert.match(
    note,
    /`claas replication apply` moves them into s3:\/\/templates-us-east-1\/claas-control\/libraries\/lib\/\.$/,
  );
});

test('no note without legacy objects, without a private area, or without a cross-account native replica', () => {
  const c = config(AWS_EXAMPLE);
  assert.equal(legacyPrivateNote(c, { ...legacy, objects: 0, sample: [] }), undefined);
  assert.equal(legacyPrivateNote(c, undefined), undefined);
  const mirrorOnly = config(ISSUE_4_EXAMPLE);
  assert.ok(!hasCrossAccountNative(mirrorOnly));
  assert.equal(legacyPrivateNote(mirrorOnly, legacy), undefined);
});
