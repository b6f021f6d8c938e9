// Browser tests: Debian's Chromium (/usr/bin/chromium, installed by scripts/test.sh) driven headless by
// playwright-core, which never downloads a browser of its own. Each withPage() gets a fresh profile in a
// temporary folder, removed afterwards. Also: axe-core accessibility checks and screenshots.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The browser to drive; CLAAS_CHROMIUM overrides Debian's. */
export const CHROMIUM = process.env.CLAAS_CHROMIUM ?? '/usr/bin/chromium';

/**
 * As root (CI) Chromium needs --no-sandbox. The others keep it from reaching out to Google's services,
 * which this machine's closed network refuses (and which slow every start), and from needing a GPU or a
 * large /dev/shm.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
];

/** The repository, resolved from dist/test/helpers. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots');

export interface PageOptions {
  httpCredentials?: { username: string; password: string };
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/** Launches Chromium, runs `fn` with a fresh page, and always closes the browser and removes its profile. */
export async function withPage<T>(
  opts: PageOptions,
  fn: (page: Page, context: BrowserContext) => Promise<T>,
): Promise<T> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: install it with 'bash scripts/test-env/apt.sh chromium fonts-dejavu-core' (npm test does)`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'claas-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 900 },
      colorScheme: opts.colorScheme ?? 'light',
      httpCredentials: opts.httpCredentials,
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return await fn(page, context);
  } finally {
    await context?.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Which axe checks to run: rules with any of these tags, or these rules by id ('color-contrast'). */
export interface AxeRunOnly {
  type: 'tag' | 'rule';
  values: string[];
}

let axeSource: Promise<string> | undefined;

/**
 * Runs axe-core on the page and returns its violations (WCAG 2.x A and AA by default, which include
 * 'color-contrast'). axe is evaluated through the DevTools protocol rather than page.addScriptTag(): that
 * adds an inline <script>, which a page with a strict Content-Security-Policy (as the dashboard's)
 * refuses, and the refusal would itself count as a CSP violation.
 */
export async function runAxe(
  page: Page,
  runOnly: AxeRunOnly = { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!loaded) {
    axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(await axeSource);
  }
  return page.evaluate(async (runOnly) => {
    // Runs in the page (tsconfig has no DOM lib, hence the casts).
    const page = globalThis as unknown as {
      document: unknown;
      axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[] }> };
    };
    const result = await page.axe.run(page.document, { runOnly, resultTypes: ['violations'] });
    return result.violations as AxeViolation[];
  }, runOnly);
}

/** One line per violation and element, for assertion messages. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')}`))
    .join('\n');
}

/** Saves a full-page PNG as test-output/screenshots/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
