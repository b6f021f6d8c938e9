// claas status on local folders: a mirror replica claas mirror never filled is "empty — run claas mirror"
// (exit 1 like lagging), not lagging behind a version it once had, not broken and not an error; wrong data
// there is still broken; a native replica with nothing yet keeps the replication rule (lagging).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import type { ClaasConfig } from '../../../src/config/schema.js';
import { publish } from '../../../src/publish/publish.js';
import { readSnapshot } from '../../../src/publish/state.js';
import { FsStore } from '../../../src/store/fs.js';
import { checkStatus, MIRROR_EMPTY } from '../../../src/replicate/status.js';
import type { StatusReport } from '../../../src/replicate/status.js';
import { referencedKeys } from '../../../src/replicate/consistency.js';
import { renderStatus } from '../../../src/cli/commands/status/render.js';
import { withTempDir } from '../../helpers/cli.js';
import { textItem } from '../../helpers/source-item.js';

const CONFIG = [
  'library: lib',
  'origin:',
  '  location: s3://origin-bucket/lib',
  'replicas:',
  '  - name: client',
  '    location: s3://client-bucket/lib',
  '    mode: mirror',
  '  - name: west',
  '    location: s3://west-bucket/lib',
  '    mode: native',
  '',
].join('\n');

type Roots = Record<'origin' | 'client' | 'west', string>;

async function setUp(dir: string): Promise<{ config: ClaasConfig; roots: Roots }> {
  const roots = { origin: join(dir, 'origin'), client: join(dir, 'client'), west: join(dir, 'west') };
  await publish(
    { items: [await textItem(dir, 'a', 'one'), await textItem(dir, 'b', 'two')], defaultName: 'lib' },
    { store: new FsStore(roots.origin), noGc: true },
  );
  return { config: parseConfig(CONFIG, join(dir, 'claas.yaml')), roots };
}

function status(config: ClaasConfig, roots: Roots): Promise<StatusReport> {
  return checkStatus(config, {
    openOrigin: async () => new FsStore(roots.origin),
    openReplica: async (_c, name) => new FsStore(roots[name as keyof Roots]),
  });
}

const storeOf = (r: StatusReport, name: string) => r.stores.find((s) => s.name === name)!;

test('a mirror replica claas mirror never filled is empty — run claas mirror, exit 1 like lagging', async () => {
  await withTempDir(async (dir) => {
    const { config, roots } = await setUp(dir);
    const report = await status(config, roots);
    const client = storeOf(report, 'client');
    assert.equal(client.state, 'empty');
    assert.equal(client.problems[0], MIRROR_EMPTY);
    assert.ok(!client.problems.includes('no lib.json yet'), 'said once, as empty');
    assert.equal(client.error, undefined);
    assert.ok(client.missing.length > 0);
    assert.ok(client.missing.every((m) => !m.broken));
    assert.equal(report.exitCode, 1, 'empty counts like lagging, not like broken');
    assert.equal(report.state, 'lagging');
    // A native replica with nothing yet: replication is still bringing it (the settle time).
    assert.equal(storeOf(report, 'west').state, 'lagging');

    const text = renderStatus({ ...report, stores: report.stores.filter((s) => s.name !== 'west') });
    assert.match(
      text,
      /client\s+empty\s+— run claas mirror: no version is committed here yet, \d+ objects to copy/,
    );
    assert.doesNotMatch(
      text.split('\n').find((l) => l.includes('client'))!,
      /error|broken/,
    );
    assert.ok(!text.includes('pending    a/'), 'no list of every key an empty replica lacks');
  });
});

test('empty is only for a mirror replica without lib.json and nothing wrong there', async () => {
  await withTempDir(async (dir) => {
    const { config, roots } = await setUp(dir);
    const snapshot = (await readSnapshot(new FsStore(roots.origin), 1))!;
    const dataKey = referencedKeys(snapshot).find((k) => k.kind === 'file')!.key;

    // A data file of the origin's version there with other bytes (wrong size): broken, even without lib.json.
    await mkdir(join(roots.client, ...dataKey.split('/').slice(0, -1)), { recursive: true });
    await writeFile(join(roots.client, ...dataKey.split('/')), 'altered bytes');
    const altered = storeOf(await status(config, roots), 'client');
    assert.equal(altered.state, 'broken');
    assert.deepEqual(
      altered.wrongSize.map((w) => w.key),
      [dataKey],
    );

    // Filled, as claas mirror leaves it: consistent; exit 0 once the native replica has it too.
    await rm(roots.client, { recursive: true });
    await cp(roots.origin, roots.client, { recursive: true });
    await cp(roots.origin, roots.west, { recursive: true });
    const filled = await status(config, roots);
    assert.equal(storeOf(filled, 'client').state, 'consistent');
    assert.equal(filled.exitCode, 0);
  });
});
