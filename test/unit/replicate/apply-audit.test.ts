// `claas replication apply` records what it applied as a `replication` entry in the origin's audit log (on a
// real folder store standing in for the origin): the changes applied and the failure that stopped the rest;
// nothing when nothing was applied; a store that refuses the entry is reported, not thrown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FsStore } from '../../../src/store/fs.js';
import type { ObjectStore } from '../../../src/store/types.js';
import type { ClaasConfig } from '../../../src/config/schema.js';
import { readAudit } from '../../../src/publish/audit.js';
import { auditApplied } from '../../../src/replicate/apply.js';
import type { AppliedChange } from '../../../src/replicate/apply.js';
import { withTempDir } from '../../helpers/cli.js';

const config = { library: 'templates', file: '/etc/claas/claas.yaml' } as unknown as ClaasConfig;

const change = (kind: AppliedChange['kind'], outcome: AppliedChange['outcome']): AppliedChange => ({
  kind,
  target: `bucket ${kind}`,
  store: 'origin',
  action: 'update',
  summary: `${kind} as planned`,
  outcome,
  ...(outcome === 'failed' ? { error: { code: 'AccessDenied', message: 'no' } } : {}),
});

test('the changes applied, and the failure that stopped the rest, become one replication entry', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    const r = await auditApplied(
      config,
      [change('versioning', 'applied'), change('role', 'unchanged'), change('replication', 'failed')],
      async () => store,
    );
    assert.ok(r.key !== undefined && r.error === undefined, JSON.stringify(r));
    const { entries } = await readAudit(store, { actions: ['replication'] });
    assert.equal(entries.length, 1);
    const e = entries[0]!;
    assert.equal(e.key, r.key);
    assert.match(e.summary ?? '', /1 change applied, stopped at replication of bucket replication/);
    assert.deepEqual(
      (e.details?.changes as { kind: string }[]).map((c) => c.kind),
      ['versioning'],
    );
    assert.deepEqual((e.details?.failed as { kind: string }).kind, 'replication');
  });
});

test('nothing applied: no entry; a refused entry is returned as an error', async () => {
  await withTempDir(async (dir) => {
    const store = new FsStore(dir);
    assert.deepEqual(await auditApplied(config, [change('role', 'unchanged')], async () => store), {});
    assert.deepEqual((await readAudit(store)).entries, []);
    const refusing: ObjectStore = Object.create(store, {
      put: { value: () => Promise.reject(new Error('AccessDenied')) },
    });
    const r = await auditApplied(config, [change('role', 'applied')], async () => refusing);
    assert.equal(r.key, undefined);
    assert.match(r.error ?? '', /AccessDenied/);
  });
});
