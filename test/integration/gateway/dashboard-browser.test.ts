// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against `claas gateway` on
// the Ceph two-zone cluster: origin us-east-1, a native replica "west" in us-west-2, the gateway preferring
// west. The page loads with the admin password, also when it is in the page's URL (as bookmarked); a
// tenant's password does not open it (nor its API). After a publish, with Ceph's replication of the bucket
// held back (`radosgw-admin bucket sync disable`, as in ceph-gateway.test.ts), the page shows west
// catching up while the origin is at the new version, then, once Ceph replicates, west consistent and the
// new version served — all in one page load, no reload.
// Screenshots go to test-output/screenshots/ (docs/img/dashboard.png in the README is one of them).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { isolatedEnv } from '../../helpers/cli.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  openTestStore,
  putReadOnlyPolicy,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { saveScreenshot, withPage } from '../../helpers/browser.js';
import { basic, http } from '../../helpers/http.js';
import {
  addTenant,
  bucketSync,
  publishToCeph,
  startCliGateway,
  waitUntil,
  writeConfig,
} from './cli-gateway.js';
import type { RunningGateway } from './cli-gateway.js';

const skip =
  cephSkip() ||
  (cephEnv()?.cephConf === undefined
    ? 'CLAAS_TEST_CEPH_CONF is not set: cannot hold replication back'
    : false);
let work = '';
let env: Record<string, string> = {};
let bucket = '';
let gw: RunningGateway | undefined;
let tenantPassword = '';
const adminPassword = randomBytes(18).toString('base64url');
let held = false;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-dash-ceph-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  bucket = uniqueBucketName('claas-dash');
  await createBucket(bucket);
  await putReadOnlyPolicy(bucket, 'subscriber');
  await writeSampleSource(join(work, 'src'));
  await publishToCeph(env, join(work, 'src'), `s3://${bucket}/lib`);
  const e = cephEnv()!;
  const store = (zone: 'us-east-1' | 'us-west-2', profile: string) => ({
    location: `s3://${bucket}/lib`,
    endpoint: e.endpoints[zone],
    region: zone,
    profile,
  });
  await writeFile(join(work, 'admin.password'), `${adminPassword}\n`, { mode: 0o600 });
  await writeConfig(join(work, 'claas.yaml'), {
    library: 'templates',
    origin: store('us-east-1', 'publisher'),
    replicas: [{ name: 'west', ...store('us-west-2', 'subscriber') }],
    prefer: ['west', 'origin'],
    gatewayProfile: 'subscriber',
    tenants: './tenants.json',
    adminPasswordFile: './admin.password',
  });
  tenantPassword = await addTenant(env, 'acme', ['templates'], [join(work, 'claas.yaml')]);
  const west = await openTestStore('subscriber', bucket, 'lib', { zone: 'us-west-2' });
  const { newestCompleteVersion } = await import('../../../src/replicate/consistency.js');
  await waitUntil(
    async () => (await newestCompleteVersion(west))?.version === 1,
    120_000,
    'version 1 at us-west-2',
  );
  gw = await startCliGateway(
    [
      '--config',
      join(work, 'claas.yaml'),
      '--listen',
      '127.0.0.1:0',
      '--refresh',
      '300ms',
      '--status-refresh',
      '1s',
    ],
    env,
  );
});

after(async () => {
  if (held) bucketSync(bucket, 'enable');
  if (gw !== undefined) await gw.stop();
  if (bucket) await deleteBucket(bucket);
  if (work) await rm(work, { recursive: true, force: true });
});

test("a tenant's password opens neither the dashboard nor its API", { skip }, async () => {
  for (const username of ['vcsp', 'admin']) {
    await withPage({ httpCredentials: { username, password: tenantPassword } }, async (page) => {
      const r = await page.goto(`${gw!.base}/ui/`);
      assert.equal(r?.status(), 401, `as ${username}`);
      assert.equal(await page.locator('[data-library]').count(), 0);
    });
    const api = await http(gw!.base, '/api/tenants', {
      headers: { Authorization: basic(tenantPassword, username) },
    });
    assert.equal(api.status, 401);
    assert.ok(!api.body.toString().includes('acme'));
  }
  // The tenant's own subscription still works.
  const lib = await http(gw!.base, '/templates/lib.json', {
    headers: { Authorization: basic(tenantPassword) },
  });
  assert.equal(lib.status, 200);
});

test(
  'the dashboard opened as http://admin:PASSWORD@host:port/ui/ (a bookmark) loads its data',
  { skip },
  async () => {
    // Browsers refuse fetch() of a URL that carries credentials; the page must not build its API URLs from
    // its own address then.
    const url = new URL('/ui/', gw!.base);
    url.username = 'admin';
    url.password = adminPassword;
    await withPage({}, async (page) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const r = await page.goto(url.href);
      assert.equal(r?.status(), 200);
      const cell = page.locator('td[data-library="templates"][data-store="origin"]');
      const alert = page.locator('#alert');
      // Whichever comes first: the data, or the banner saying what failed.
      await cell
        .and(page.locator('[data-state="consistent"]'))
        .or(page.locator('#alert:not([hidden])'))
        .first()
        .waitFor({ timeout: 60_000 });
      assert.equal(await alert.isHidden(), true, await alert.innerText());
      await page.locator('tr[data-tenant="acme"]').waitFor({ timeout: 10_000 });
      assert.deepEqual(errors, []);
    });
  },
);

test(
  'the page shows west catching up after a publish, then consistent, without a reload',
  { skip },
  async () => {
    await withPage({ httpCredentials: { username: 'admin', password: adminPassword } }, async (page) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      const r = await page.goto(`${gw!.base}/ui/`);
      assert.equal(r?.status(), 200);
      const cell = (store: string) => page.locator(`td[data-library="templates"][data-store="${store}"]`);
      await cell('west').and(page.locator('[data-state="consistent"]')).waitFor({ timeout: 60_000 });
      await cell('origin').and(page.locator('[data-state="consistent"]')).waitFor({ timeout: 10_000 });
      await page.locator('tr[data-tenant="acme"]').waitFor({ timeout: 10_000 });
      await page.locator('tr[data-item="photon-mini"]').waitFor({ timeout: 10_000 });
      // A marker that a reload would wipe.
      await page.evaluate(() => {
        (globalThis as { claasTestMarker?: number }).claasTestMarker = 1;
      });

      // Version 2 at the origin, replication held back: west catches up.
      bucketSync(bucket, 'disable');
      held = true;
      const src = join(work, 'src');
      await writeFile(join(src, 'CHANGES.txt'), `version 2 ${Date.now()}\n`);
      await publishToCeph(env, src, `s3://${bucket}/lib`);
      await cell('west').and(page.locator('[data-state="lagging"]')).waitFor({ timeout: 60_000 });
      assert.match(await cell('west').innerText(), /catching up/i);
      await cell('origin').and(page.locator('[data-state="consistent"]')).waitFor({ timeout: 10_000 });
      await page
        .locator('tr[data-audit]', { hasText: 'publish library version 2: 1 added' })
        .waitFor({ timeout: 30_000 });
      await saveScreenshot(page, 'dashboard-catching-up');

      // Ceph replicates: west becomes consistent and the gateway serves version 2 from it.
      bucketSync(bucket, 'enable');
      held = false;
      await cell('west').and(page.locator('[data-state="consistent"]')).waitFor({ timeout: 120_000 });
      await page.locator('tr[data-item="CHANGES.txt"]').waitFor({ timeout: 30_000 });
      await saveScreenshot(page, 'dashboard');
      assert.equal(
        await page.evaluate(() => (globalThis as { claasTestMarker?: number }).claasTestMarker),
        1,
        'the page was not reloaded',
      );
      assert.deepEqual(errors, []);
    });
    const served = await http(gw!.base, '/templates/lib.json', {
      headers: { Authorization: basic(tenantPassword) },
    });
    assert.equal((JSON.parse(served.body.toString()) as { version: string }).version, '2');
  },
);
