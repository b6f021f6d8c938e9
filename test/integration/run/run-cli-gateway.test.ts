// `claas run` with a `gateway:` in its configuration serves that gateway in the same process (real CLI,
// Ceph origin): the gateway serves the version the run published, its admin API reports the run's sources
// (overview.sources, the dashboard's Sources panel), --json keeps stdout to one event per line, and SIGTERM
// stops both with exit 0.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cephSkip, putReadOnlyPolicy } from '../../helpers/ceph.js';
import { answers, freePort, waitUntil } from '../gateway/cli-gateway.js';
import { writeItem } from '../replicate/fixture.js';
import { runYaml, startRun } from './run-helpers.js';
import { runWorkspace } from './run-cli-fixture.js';
import type { RunWorkspace } from './run-cli-fixture.js';

const skip = cephSkip();
const STEP_MS = 120_000;
const ADMIN_PASSWORD = 'run-gateway-admin-password-0123456789';

let ws: RunWorkspace | undefined;

before(async () => {
  if (skip) return;
  ws = await runWorkspace('claas-run-gw');
  await putReadOnlyPolicy(ws.origin, 'subscriber');
});

after(async () => {
  await ws?.dispose();
});

interface Overview {
  libraries: { name: string; servedVersion: number | null }[];
  sources?: {
    library: string;
    role: string;
    sources: { source: string; kind: string; lastSuccessAt: string | null; changesApplied: number }[];
  }[];
}

test('the gateway of the configuration is served beside the run, with its sources', { skip }, async () => {
  assert.ok(ws);
  const { work, env, origin } = ws;
  const folder = join(work, 'templates');
  await writeItem(folder, 'alpha', 'alpha.txt', 'alpha v1\n');
  const port = await freePort();
  await writeFile(join(work, 'admin.password'), `${ADMIN_PASSWORD}\n`, { mode: 0o600 });
  const config = join(work, 'claas.yaml');
  const gateway = [
    'gateway:',
    `  listen: 127.0.0.1:${port}`,
    '  prefer: [origin]',
    '  credentials: { profile: subscriber }',
    '  admin: { passwordFile: ./admin.password }',
    '',
  ].join('\n');
  await writeFile(
    config,
    runYaml({ library: 'run-gw', originBucket: origin, sources: [{ folder, interval: '1s' }] }) + gateway,
  );

  const run = startRun('run-gw', ['--config', config], env);
  const published = await run.waitEvent('published', (e) => e.added.includes('alpha'), STEP_MS);
  const base = `http://127.0.0.1:${port}`;
  const auth = { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
  const overview: Overview | undefined = await waitUntil(
    async () => {
      const o = (await (await fetch(`${base}/api/overview`, { headers: auth })).json()) as Overview;
      const served = o.libraries.find((l) => l.name === 'run-gw')?.servedVersion;
      const source = o.sources?.[0]?.sources[0];
      return served === published.version && (source?.changesApplied ?? 0) >= 1 ? o : undefined;
    },
    STEP_MS,
    'the gateway serving the published version, its overview showing the source',
  );
  assert.ok(overview);
  assert.equal(overview.sources?.[0]?.library, 'run-gw');
  assert.equal(overview.sources?.[0]?.role, 'active');
  assert.equal(overview.sources?.[0]?.sources[0]?.source, folder);
  assert.equal(overview.sources?.[0]?.sources[0]?.kind, 'folder');
  assert.ok(overview.sources?.[0]?.sources[0]?.lastSuccessAt);
  assert.equal((await fetch(`${base}/run-gw/lib.json`)).status, 401, 'tenants only');
  assert.deepEqual(run.otherLines, [], '--json: the gateway summary is not printed among the events');
  assert.match(run.stderr(), /"msg":"gateway serving"/);

  await run.stop();
  assert.deepEqual(await run.exited(), { code: 0, signal: null }, run.stderr().slice(-4000));
  assert.equal(await answers(`${base}/healthz`), false, 'the gateway stopped with the run');
});
