import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { PASSWORD, startTestApp, type TestApp } from '../../src/test-support/harness.js';

/** Debian's chromium (`apt-get install chromium`); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const RESULTS_DIR = join(process.cwd(), 'test-results');

/** Quiet, offline, sandbox-free headless chromium (CI runs as root). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 740 };
export const SMALL_PHONE = { width: 360, height: 720 };

/** The widths each journey runs at. */
export const VIEWPORTS = [
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const;

export interface WebServer {
  t: TestApp;
  baseUrl: string;
  close(): Promise<void>;
}

/** The all-in-one server with the built web app, listening on a free loopback port. */
export async function startWebServer(): Promise<WebServer> {
  const t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server did not listen');
  return { t, baseUrl: `http://127.0.0.1:${address.port}`, close: () => t.close() };
}

/**
 * Starts the server for the enclosing test file (before its tests, closed after them). The answer
 * reads the running server's address and app once they exist.
 */
export function useWebServer(): { readonly baseUrl: string; readonly t: TestApp } {
  let server: WebServer | undefined;
  beforeAll(async () => {
    server = await startWebServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const running = () => {
    if (!server) throw new Error('the web server has not started');
    return server;
  };
  return {
    get baseUrl() {
      return running().baseUrl;
    },
    get t() {
      return running().t;
    },
  };
}

export interface BrowserRun {
  page: Page;
  context: BrowserContext;
  /** Requests that left this server, CSP or page errors, accessibility failures: all should stay empty. */
  problems: string[];
  /** Saves a picture of the page (with PHA_SCREENSHOTS=1). */
  shot(label: string): Promise<void>;
  /** Runs axe-core's WCAG 2.1 A and AA rules on the page as it is; failures go to `problems`. */
  audit(label: string): Promise<void>;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.1 A/AA violations on the page, one line each (rule, what it means, where). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated through the devtools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate<string[]>(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
      .then((result) => result.violations.map((v) =>
        v.id + ': ' + v.help + ' at ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))
  `);
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * Opens a fresh browser profile at `viewport`, runs `steps`, and on failure saves a full-page
 * screenshot to test-results/<name>.png before passing the failure on. With PHA_SCREENSHOTS=1,
 * `shot` also saves pictures along the way (test-results/screens/) for a person to look at.
 */
export async function inBrowser(
  name: string,
  baseUrl: string,
  viewport: { width: number; height: number },
  steps: (run: BrowserRun) => Promise<void>,
): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'pha-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    baseURL: baseUrl,
    acceptDownloads: true,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(baseUrl) && !url.startsWith('blob:') && !url.startsWith('data:')) {
      problems.push(`request to another host: ${url}`);
    }
  });
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  const label = `${slug(name)}-${viewport.width}px`;
  let count = 0;
  const shot = async (what: string) => {
    if (!process.env.PHA_SCREENSHOTS) return;
    const dir = join(RESULTS_DIR, 'screens');
    mkdirSync(dir, { recursive: true });
    count += 1;
    await page.screenshot({
      path: join(dir, `${label}-${String(count).padStart(2, '0')}-${slug(what)}.png`),
      fullPage: true,
    });
  };
  const audit = async (what: string) => {
    for (const violation of await accessibilityViolations(page)) problems.push(`${what}: ${violation}`);
  };
  try {
    await steps({ page, context, problems, shot, audit });
  } catch (error) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${label}-failed.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    console.error(`screenshot of the failure: ${file}`);
    throw error;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Follows an entry of the main navigation (a link, or the Sign out button). On narrow screens the
 * signed-in menu is folded behind its Menu button, which is opened first, as a person would.
 */
export async function followNav(page: Page, name: string, role: 'link' | 'button' = 'link'): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  const menu = nav.getByRole('button', { name: 'Menu' });
  if ((await menu.isVisible()) && (await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
  await nav.getByRole(role, { name, exact: true }).click();
}

// playwright-core has no auto-waiting `expect`: these wait for the page the same way.
export const WAIT = { timeout: 10_000 };

/** How far the page is wider than the screen (0 when nothing sticks out). */
export const overflow = (page: Page) =>
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

export const seeHeading = (page: Page, name: string) =>
  page.getByRole('heading', { level: 1, name, exact: true }).waitFor(WAIT);
export const see = (locator: Locator) => locator.first().waitFor(WAIT);
/** The text shown, with no-break spaces (between a number and its unit) read as spaces. */
export const textOf = (locator: Locator) =>
  expect.poll(async () => (await locator.innerText()).replace(/\u00a0/g, ' '), WAIT);

/** The element that has keyboard focus, described as `TAG:text`. */
export const focused = (page: Page) =>
  page.evaluate<string>(
    '`${document.activeElement?.tagName}:${document.activeElement?.textContent?.trim()}`',
  );

/** Creates an account through the sign-up page and waits for the dashboard. */
export async function signUp(page: Page, name: string, email: string): Promise<void> {
  await page.goto('/sign-up');
  await seeHeading(page, 'Create your account');
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await seeHeading(page, `Welcome, ${name.split(' ')[0]}`);
}

/** The API, called as a user (to seed what a device or another app would have sent). */
export async function apiAs(baseUrl: string, email: string) {
  const login = await fetch(`${baseUrl}/auth/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
}
