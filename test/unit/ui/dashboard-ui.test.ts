// The admin dashboard (ui/) in a real browser: Debian's Chromium, driven by playwright-core, against a
// fake gateway (fake-gateway.ts) that serves ui/ with the gateway's strict CSP and API answers shaped as
// docs/api.md says. Covers rendering, live refresh, the paginated items table, hostile names,
// keyboard use, accessibility (axe-core) and the error banner. Waits for conditions, never for time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  describeViolations,
  runAxe,
  saveScreenshot,
  withPage,
  type PageOptions,
} from '../../helpers/browser.js';
import {
  HOSTILE_ITEM,
  HOSTILE_SOURCE,
  HOSTILE_SUMMARY,
  HOSTILE_TENANT,
  defaultData,
  startFakeGateway,
  type FakeGateway,
} from './fake-gateway.js';

const WAIT_MS = 30_000;

// The page's DOM, as far as the callbacks run by page.evaluate() use it (tsconfig has no DOM lib).
interface DomElement {
  id: string;
  className: string;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement> & { length: number };
}
declare const document: {
  activeElement: DomElement | null;
  documentElement: { scrollWidth: number };
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement> & { length: number };
  addEventListener(
    type: string,
    listener: (e: { violatedDirective: string; blockedURI: string }) => void,
  ): void;
};
declare const window: { innerWidth: number };
declare function getComputedStyle(element: DomElement): { outlineStyle: string };

/** What went wrong in the page: console errors, uncaught exceptions, CSP violations, dialogs. */
interface PageProblems {
  console: string[];
  errors: string[];
  dialogs: string[];
}

function watch(page: Page): PageProblems {
  const problems: PageProblems = { console: [], errors: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.errors.push(String(e)));
  page.on('dialog', (d) => {
    problems.dialogs.push(d.message());
    void d.dismiss();
  });
  return problems;
}

async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { __csp: string[] }).__csp);
}

/** Runs `fn` on the dashboard of a fresh fake gateway, loaded and showing data; checks it stayed clean. */
async function withDashboard(
  fn: (page: Page, gw: FakeGateway, problems: PageProblems) => Promise<void>,
  opts: PageOptions & { gateway?: FakeGateway; allowConsole?: RegExp } = {},
): Promise<void> {
  const gw = opts.gateway ?? (await startFakeGateway());
  try {
    await withPage(
      { ...opts, httpCredentials: { username: gw.username, password: gw.password } },
      async (page) => {
        page.setDefaultTimeout(WAIT_MS);
        const problems = watch(page);
        await page.addInitScript(() => {
          const seen: string[] = [];
          (globalThis as unknown as { __csp: string[] }).__csp = seen;
          document.addEventListener('securitypolicyviolation', (e) =>
            seen.push(`${e.violatedDirective} ${e.blockedURI}`),
          );
        });
        const response = await page.goto(gw.url);
        assert.equal(response?.status(), 200);
        await page.waitForSelector('#updated[data-refreshed-at*="T"]');
        await fn(page, gw, problems);
        assert.deepEqual(await cspViolations(page), [], 'no CSP violation');
        const unexpected = problems.console.filter((m) => !opts.allowConsole?.test(m));
        assert.deepEqual(unexpected, [], 'no console error or warning');
        assert.deepEqual(problems.errors, [], 'no uncaught exception');
        assert.deepEqual(problems.dialogs, [], 'no dialog (alert) opened');
      },
    );
  } finally {
    if (!opts.gateway) await gw.close();
  }
}

/** Polls `check` until it returns true (expect.poll style); fails with `what` after WAIT_MS. */
async function eventually(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What Chromium logs for a fetch that got an HTTP error status; expected when the fixture fails on purpose. */
const FAILED_FETCH = /^error: Failed to load resource: the server responded with a status of 503/;

const cell = (library: string, store: string) => `td[data-library="${library}"][data-store="${store}"]`;
const text = async (page: Page, selector: string) =>
  ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ');
const itemNames = (page: Page) =>
  page.$$eval('#items tbody tr[data-item]', (rows) => rows.map((r) => (r as DomElement).dataset.item ?? ''));

async function waitForRange(page: Page, range: string): Promise<void> {
  await page.waitForFunction((r) => document.querySelector('#items-range')?.textContent === r, range);
}

async function waitForFirstItem(page: Page, name: string): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelector('#items tbody tr[data-item]')?.dataset.item === n,
    name,
  );
}

test('renders the gateway, the replica matrix, libraries, items, tenants and audit from the API', async () => {
  await withDashboard(async (page, gw) => {
    assert.equal(await page.title(), 'claas gateway');
    assert.equal(await text(page, '#version'), 'v0.1.0');
    assert.match(await text(page, '#updated'), /^updated \d+ s ago$/);
    const refreshedAt = await page.getAttribute('#updated', 'data-refreshed-at');
    assert.ok(
      !Number.isNaN(Date.parse(refreshedAt ?? '')),
      `data-refreshed-at is an ISO time: ${refreshedAt}`,
    );

    // Matrix: origin column first, then the replicas in the order the API lists them.
    const columns = await page.$$eval('#matrix thead th', (ths) => ths.map((th) => th.textContent));
    assert.deepEqual(columns, ['Library', 'Origin committed', 'origin', 'west', 'east', 'dr']);
    const states = await page.$$eval('#matrix td[data-state]', (tds) =>
      (tds as DomElement[]).map(
        (td) => `${td.dataset.library}/${td.dataset.store}=${td.getAttribute('data-state')}`,
      ),
    );
    assert.deepEqual(states, [
      'templates/origin=consistent',
      'templates/west=lagging',
      'templates/east=broken',
      'isos/origin=consistent',
      'isos/west=consistent',
      'isos/dr=pending',
    ]);
    const west = await text(page, cell('templates', 'west'));
    assert.match(west, /catching up/);
    assert.match(west, /served/);
    assert.match(west, /consistent version v41 of lib\.json version \/ v42/);
    assert.match(west, /1 version, 25 s behind/);
    assert.match(west, /3 missing/);
    const east = await text(page, cell('templates', 'east'));
    assert.match(east, /broken/);
    assert.match(east, /2 versions, 1 h behind/);
    assert.match(east, /2 problems/);
    assert.match(
      (await page.getAttribute(cell('templates', 'east'), 'title')) ?? '',
      /lib\.json is older than items/,
    );
    // Problems open with the keyboard (a <details> toggle).
    await page.focus(`${cell('templates', 'east')} summary`);
    await page.keyboard.press('Enter');
    assert.ok(await page.isVisible(`${cell('templates', 'east')} li >> text=lib.json is older than items`));
    // ... and stay open and focused across the next refreshes, which re-render the matrix.
    const shown = await page.getAttribute('#updated', 'data-refreshed-at');
    await page.waitForFunction(
      (b) => document.querySelector('#updated')?.getAttribute('data-refreshed-at') !== b,
      shown,
    );
    assert.ok(await page.isVisible(`${cell('templates', 'east')} li >> text=lib.json is older than items`));
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), '2 problems');
    assert.match(await text(page, cell('isos', 'dr')), /pending/);
    assert.match(await text(page, cell('isos', 'east')), /not configured/);
    assert.equal(await page.getAttribute(cell('isos', 'east'), 'data-state'), null);
    assert.match(await text(page, 'tr[data-library="templates"] td.origin-age'), /v42, \d+ s ago/);
    assert.match(await text(page, 'tr[data-library="isos"] td.origin-age'), /v7, 3 d ago/);

    // Libraries with human sizes.
    const templates = await text(page, '#libraries-table tr[data-library="templates"]');
    assert.match(
      templates,
      /templates\s*42\s*west\s*5,000\s*11\.9 TiB\s*\d+ s ago\s*https:\/\/gw\.example\.net:8443\/templates\/lib\.json/,
    );
    assert.equal(
      await page.getAttribute('#libraries-table button[aria-pressed="true"]', 'aria-pressed'),
      'true',
    );
    assert.equal(await text(page, '#libraries-table button[aria-pressed="true"]'), 'templates');

    // Items of the first library: page 1 of 50.
    await waitForRange(page, '1–100 of 5,000');
    assert.equal((await itemNames(page)).length, 100);
    const first = await page.$$eval('#items tbody tr[data-item="item-0001"] > *', (cells) =>
      cells.map((c) => ({
        text: c.textContent,
        title: c.querySelector('time')?.getAttribute('title') ?? null,
      })),
    );
    assert.deepEqual(
      first.map((c) => c.text),
      ['item-0001', 'ISO', '2.9 GiB', '2', '1 min ago'], // 2,920 MiB
    );
    assert.match(first[4]!.title ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    // Tenants and audit.
    const acme = await text(page, 'tr[data-tenant="acme"]');
    assert.match(acme, /acme\s*templates, isos\s*117\.7 MiB\s*5,210\s*\d+ s ago/);
    assert.equal(await page.locator('#tenants-table tr[data-tenant]').count(), 2);
    // Tenants kept in the store: the view's age and staleness, counts summed over gateways, versions behind.
    assert.match(
      await text(page, '#tenants-since'),
      /Tenants from the store \(west\), read 1 min ago\. Stale: the store cannot be read: connect ECONNREFUSED; the last view is in force\. .*summed over 2 gateways \(gw-east-8443, gw-west-8443\)/,
    );
    assert.match(acme, /isos v7, templates v41\s*behind/);
    assert.match(
      (await page.getAttribute('tr[data-tenant="acme"] td.num:nth-of-type(3)', 'title')) ?? '',
      /gw-west-8443: 210 requests/,
    );
    assert.equal(await page.locator('#audit-table tr[data-audit]').count(), 2);
    assert.match(
      await text(page, '#audit-table tr[data-audit]'),
      /templates\s*publish\s*arn:aws:iam::123456789012:user\/ci\s*42/,
    );
    assert.match(await text(page, '#audit-unreadable'), /1 audit object could not be read/);

    assert.ok(!(await page.content()).includes(gw.password), 'the admin password is nowhere in the page');
    const shot = await saveScreenshot(page, 'dashboard-fixture');
    assert.ok(shot.endsWith('test-output/screenshots/dashboard-fixture.png'));
  });
});

test('refreshes live: a replica that caught up, a new served version and new items show without a reload', async () => {
  await withDashboard(async (page, gw) => {
    await page.evaluate(() => ((globalThis as unknown as { __marker: number }).__marker = 1));
    await page.waitForSelector(`${cell('templates', 'west')}[data-state="lagging"]`);
    await waitForRange(page, '1–100 of 5,000');

    const west = gw.data.libraries[0]!.stores[1]!;
    Object.assign(west, { state: 'consistent', consistentVersion: 42, behind: 0, lagSeconds: 0, missing: 0 });
    await page.waitForSelector(`${cell('templates', 'west')}[data-state="consistent"]`);
    const now = await text(page, cell('templates', 'west'));
    assert.match(now, /consistent/);
    assert.doesNotMatch(now, /catching up|behind/);

    const before = await page.getAttribute('#updated', 'data-refreshed-at');
    await page.waitForFunction(
      (b) => document.querySelector('#updated')?.getAttribute('data-refreshed-at') !== b,
      before,
    );

    // The origin publishes version 43 with a new item: the open items page is fetched again.
    const lib = gw.data.libraries[0]!;
    lib.items.push({ ...lib.items[0]!, name: 'item-0000-new', version: 1 });
    lib.servedVersion = 43;
    await page.waitForFunction(() =>
      /^Version 43\b/.test(document.querySelector('#items-status')?.textContent ?? ''),
    );
    await waitForRange(page, '1–100 of 5,001');
    await waitForFirstItem(page, 'item-0000-new');
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { __marker?: number }).__marker),
      1,
      'no reload',
    );
  });
});

test('never starts a refresh while one is still running', async () => {
  const gw = await startFakeGateway();
  gw.data.replicasDelayMs = 1500; // longer than the fixture's 1 s refresh interval
  try {
    await withDashboard(
      async () => {
        await eventually('three refreshes happened', () => (gw.requests.get('/api/replicas') ?? 0) >= 3);
        assert.equal(gw.maxInFlight.get('/api/replicas'), 1);
        assert.equal(gw.maxInFlight.get('/api/overview'), 1);
      },
      { gateway: gw },
    );
  } finally {
    await gw.close();
  }
});

test('pauses while the tab is hidden and refreshes again as soon as it is visible', async () => {
  await withDashboard(async (page, gw) => {
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
        (document as unknown as { dispatchEvent(e: unknown): void }).dispatchEvent(
          new Event('visibilitychange'),
        );
      }, hidden);
    await setHidden(true);
    await page.waitForFunction(
      () => document.querySelector('#live')?.textContent === 'Paused while this tab is hidden',
    );
    await page.waitForFunction(
      () => !/^updated [01] s ago$/.test(document.querySelector('#updated')?.textContent ?? ''),
    );
    const whileHidden = gw.requests.get('/api/overview') ?? 0;
    // The fixture refreshes every second: by "updated 6 s ago", a page that kept polling would have 4 times.
    await page.waitForFunction(() =>
      /^updated ([6-9]|\d\d+) s ago$/.test(document.querySelector('#updated')?.textContent ?? ''),
    );
    assert.equal(gw.requests.get('/api/overview'), whileHidden, 'no refresh while hidden');
    await setHidden(false);
    await eventually(
      'a refresh right after the tab is visible',
      () => (gw.requests.get('/api/overview') ?? 0) > whileHidden,
    );
    await page.waitForFunction(() =>
      /^updated [01] s ago$/.test(document.querySelector('#updated')?.textContent ?? ''),
    );
    assert.match(await text(page, '#live'), /^Live/);
  });
});

test('items: 100 per page of 5,000, next and previous page, search, sort by column', async () => {
  await withDashboard(async (page, gw) => {
    await waitForRange(page, '1–100 of 5,000');
    assert.deepEqual((await itemNames(page)).slice(0, 2), ['item-0001', 'item-0002']);
    assert.equal(await page.getAttribute('th[data-sort="name"]', 'aria-sort'), 'ascending');
    assert.equal(await page.isDisabled('#prev-page'), true);

    await page.click('#next-page');
    await waitForRange(page, '101–200 of 5,000');
    assert.deepEqual((await itemNames(page)).slice(0, 1), ['item-0101']);
    await page.click('#prev-page');
    await waitForRange(page, '1–100 of 5,000');

    await page.fill('#item-search', 'ITEM-123');
    await waitForRange(page, '1–10 of 10');
    const found = await itemNames(page);
    assert.equal(found.length, 10);
    assert.ok(
      found.every((n) => n.startsWith('item-123')),
      found.join(),
    );
    await page.fill('#item-search', 'no-such-item');
    await waitForRange(page, 'No item matches “no-such-item”');
    assert.equal(await page.isDisabled('#next-page'), true);
    await page.fill('#item-search', '');
    await waitForRange(page, '1–100 of 5,000');

    const bySize = [...gw.data.libraries[0]!.items].sort((a, b) => a.size - b.size);
    await page.click('th[data-sort="size"] button');
    await waitForFirstItem(page, bySize.at(-1)!.name);
    assert.equal(await page.getAttribute('th[data-sort="size"]', 'aria-sort'), 'descending');
    assert.equal(await page.getAttribute('th[data-sort="name"]', 'aria-sort'), null);
    await page.click('th[data-sort="size"] button');
    await waitForFirstItem(page, bySize[0]!.name);
    assert.equal(await page.getAttribute('th[data-sort="size"]', 'aria-sort'), 'ascending');
    await page.click('th[data-sort="changed"] button');
    await waitForFirstItem(page, 'item-0001'); // newest first
    await page.click('th[data-sort="name"] button');
    await waitForFirstItem(page, 'item-0001');
    await page.click('th[data-sort="name"] button');
    await waitForFirstItem(page, 'item-5000');
    assert.equal(await page.getAttribute('th[data-sort="name"]', 'aria-sort'), 'descending');
  });
});

test('hostile names are shown as text and create no element', async () => {
  await withDashboard(async (page) => {
    await page.click('#libraries-table tr[data-library="isos"] button');
    await page.waitForFunction(
      () => document.querySelector('#items-heading')?.textContent === 'Items in isos',
    );
    await waitForRange(page, '1–4 of 4');
    const row = await page.evaluate((name) => {
      const tr = [...document.querySelectorAll('#items tbody tr')].find((r) => r.dataset.item === name);
      return tr
        ? { text: tr.querySelector('th')?.textContent, elements: tr.querySelectorAll('th *').length }
        : null;
    }, HOSTILE_ITEM);
    assert.deepEqual(row, { text: HOSTILE_ITEM, elements: 0 });
    const tenant = await page.evaluate((name) => {
      const tr = [...document.querySelectorAll('#tenants-table tr')].find((r) => r.dataset.tenant === name);
      return tr?.querySelector('th')?.textContent;
    }, HOSTILE_TENANT);
    assert.equal(tenant, HOSTILE_TENANT);
    assert.match(await text(page, '#audit-table'), new RegExp(HOSTILE_SUMMARY.replace(/[()]/g, '\\$&')));
    assert.equal(await page.locator('img').count(), 0, 'no <img> anywhere');
    assert.equal(await page.locator('b').count(), 0, 'no <b> anywhere');
    assert.equal(await page.locator('script').count(), 1, 'only app.js');
    assert.equal(
      await page.getAttribute('#libraries-table button[aria-pressed="true"]', 'data-key'),
      'lib:isos',
    );
  });
});

test('keyboard: skip link, Tab reaches the search box and the pager, Enter and Space turn pages', async () => {
  await withDashboard(async (page) => {
    await waitForRange(page, '1–100 of 5,000');
    const focused = () =>
      page.evaluate(() => document.activeElement?.id || document.activeElement?.className || '');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'skip-link');
    const tabTo = async (id: string) => {
      for (let i = 0; i < 200 && (await focused()) !== id; i++) await page.keyboard.press('Tab');
      assert.equal(await focused(), id, `Tab reaches #${id}`);
    };
    await tabTo('item-search');
    await page.keyboard.type('item-12');
    await waitForRange(page, '1–100 of 100');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await waitForRange(page, '1–100 of 5,000');
    await tabTo('next-page');
    await page.keyboard.press('Enter');
    await waitForRange(page, '101–200 of 5,000');
    assert.equal(await focused(), 'next-page', 'focus stays on the pager');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'prev-page');
    await page.keyboard.press('Space');
    await waitForRange(page, '1–100 of 5,000');
    assert.equal(await focused(), 'next-page', 'focus moves to Next when Previous turns off');
    // The focused element shows a visible outline.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.equal(outline, 'solid');
    // Library selection by keyboard.
    await page.focus('#libraries-table tr[data-library="isos"] button');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.querySelector('#items-heading')?.textContent === 'Items in isos',
    );
  });
});

test('accessibility: axe-core finds no WCAG 2 A/AA violation (contrast included), light and dark', async () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    await withDashboard(
      async (page) => {
        await waitForRange(page, '1–100 of 5,000');
        await page.focus(`${cell('templates', 'east')} summary`);
        await page.keyboard.press('Enter');
        const violations = await runAxe(page);
        assert.deepEqual(violations, [], `${colorScheme}:\n${describeViolations(violations)}`);
        const contrast = await runAxe(page, { type: 'rule', values: ['color-contrast'] });
        assert.deepEqual(contrast, [], `${colorScheme} colours:\n${describeViolations(contrast)}`);
        const landmarks = await page.$$eval('header, nav, main, section h2, footer', (n) => n.length);
        assert.ok(landmarks >= 8);
        if (colorScheme === 'dark') await saveScreenshot(page, 'dashboard-fixture-dark');
      },
      { colorScheme },
    );
  }
});

test('narrow screens: nothing overflows the page sideways (tables scroll in their own box)', async () => {
  await withDashboard(
    async (page) => {
      await waitForRange(page, '1–100 of 5,000');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the window`);
      const violations = await runAxe(page);
      assert.deepEqual(violations, [], describeViolations(violations));
      await saveScreenshot(page, 'dashboard-fixture-narrow');
    },
    { viewport: { width: 390, height: 844 } },
  );
});

test('API failure: an alert banner says what failed, the last data stays, and it clears on recovery', async () => {
  await withDashboard(
    async (page, gw) => {
      await page.waitForSelector(`${cell('templates', 'west')}[data-state="lagging"]`);
      assert.equal(await page.isHidden('#alert'), true);
      const refreshedAt = await page.getAttribute('#updated', 'data-refreshed-at');
      gw.data.failStatus = 503;
      await page.waitForSelector('[role="alert"]:not([hidden])');
      const banner = await text(page, '[role="alert"]');
      assert.match(banner, /Could not refresh/);
      assert.match(
        banner,
        /\/api\/overview, \/api\/replicas, \/api\/tenants, \/api\/audit: 503 Service Unavailable: the fixture is failing on purpose/,
      );
      await page.waitForFunction(() =>
        /Refresh failed/.test(document.querySelector('#live')?.textContent ?? ''),
      );
      assert.equal(
        await page.getAttribute(`${cell('templates', 'west')}`, 'data-state'),
        'lagging',
        'last data stays',
      );
      assert.equal((await itemNames(page)).length, 100);
      assert.equal(await page.getAttribute('#updated', 'data-refreshed-at'), refreshedAt, 'not refreshed');
      gw.data.failStatus = null;
      await page.waitForSelector('#alert[hidden]', { state: 'attached' });
      await page.waitForFunction(
        (b) => document.querySelector('#updated')?.getAttribute('data-refreshed-at') !== b,
        refreshedAt,
      );
    },
    { allowConsole: FAILED_FETCH }, // Chromium logs each failed fetch to the console
  );
});

test('a library with no complete version says so instead of listing items', async () => {
  const data = defaultData();
  data.libraries[0]!.servedVersion = null;
  data.libraries[0]!.servedFrom = null;
  const gw = await startFakeGateway(data);
  try {
    await withDashboard(
      async (page) => {
        await page.waitForFunction(() =>
          /No complete version of templates/.test(document.querySelector('#items-status')?.textContent ?? ''),
        );
        assert.equal(await page.locator('#items tbody tr').count(), 0);
        assert.match(
          await text(page, '#libraries-table tr[data-library="templates"]'),
          /none \(no complete version\)/,
        );
        data.libraries[0]!.servedVersion = 42;
        data.libraries[0]!.servedFrom = 'west';
        await waitForRange(page, '1–100 of 5,000');
      },
      { gateway: gw, allowConsole: FAILED_FETCH },
    );
  } finally {
    await gw.close();
  }
});

test('a mirror replica claas mirror never filled reads "empty — run claas mirror", in its own style', async () => {
  const data = defaultData();
  const isos = data.libraries[1]!;
  isos.stores[2] = {
    ...isos.stores[1]!,
    name: 'dr',
    mode: 'mirror',
    state: 'empty',
    libVersion: null,
    consistentVersion: null,
    behind: 7,
    missing: 12,
    problems: ['empty — run claas mirror: no version is committed here yet (no lib.json)'],
    reachable: null,
  };
  // The same state on an origin (nothing published there yet) keeps the plain "empty".
  data.libraries[0]!.stores[0]!.state = 'empty';
  const gw = await startFakeGateway(data);
  try {
    await withDashboard(
      async (page) => {
        const dr = cell('isos', 'dr');
        await page.waitForSelector(`${dr}[data-state="empty"]`);
        assert.equal(await text(page, `${dr} .badge`), 'empty — run claas mirror');
        assert.equal(await page.getAttribute(`${dr} .badge`, 'class'), 'badge badge-empty badge-unfilled');
        assert.doesNotMatch(await text(page, dr), /error|broken/);
        assert.equal(await text(page, `${cell('templates', 'origin')} .badge`), 'empty');
        const contrast = await runAxe(page, { type: 'rule', values: ['color-contrast'] });
        assert.deepEqual(contrast, [], describeViolations(contrast));
      },
      { gateway: gw },
    );
  } finally {
    await gw.close();
  }
});

test('inside claas run: a Sources panel shows each source beside the replicas; a plain gateway has none', async () => {
  await withDashboard(async (page) => {
    const row = (source: string) => `#sources-table tr[data-source="${source.replace(/"/g, '\\"')}"]`;
    await page.waitForSelector(row(HOSTILE_SOURCE));
    assert.equal(await page.isVisible('#sources'), true);
    assert.equal(await page.isVisible('#sources-nav a[href="#sources"]'), true);
    const folder = await text(page, row(HOSTILE_SOURCE));
    assert.match(folder, /templates/);
    assert.equal(await text(page, `${row(HOSTILE_SOURCE)} .source-state`), 'ok');
    assert.match(folder, /ago/);
    assert.equal(
      await page.locator(`${row(HOSTILE_SOURCE)} th *:not(.source-kind)`).count(),
      0,
      'a name, no markup',
    );
    const vc = row('vc-east.example library Golden Images');
    assert.equal(await page.getAttribute(vc, 'data-state'), 'error');
    assert.equal(await text(page, `${vc} .source-state`), 'failing');
    assert.match(await text(page, vc), /vc-east\.example did not answer \(fix: check the vCenter\)/);
    assert.match(await text(page, `${vc} details summary`), /^2 VM templates not copied$/);
    await page.click(`${vc} details summary`);
    assert.match(
      await text(page, `${vc} details`),
      /clone each into the library as an OVF template.*win-2022-vmtx/,
    );
    const standby = row('/srv/isos');
    assert.match(await text(page, standby), /standby/);
    assert.equal(await text(page, `${standby} .source-state`), 'not polled yet');
    const violations = await runAxe(page);
    assert.deepEqual(violations, [], describeViolations(violations));
  });

  const plain = defaultData();
  delete plain.sources;
  const gw = await startFakeGateway(plain);
  try {
    await withDashboard(
      async (page) => {
        assert.equal(await page.isHidden('#sources'), true);
        assert.equal(await page.isHidden('#sources-nav'), true);
      },
      { gateway: gw },
    );
  } finally {
    await gw.close();
  }
});
