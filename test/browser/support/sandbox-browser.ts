import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { bootApp, freePort, type BootedApp } from '../../support/app';
import { CSP_LISTENER, PageWatch } from './page-watch';

/** Debian's Chromium; never a downloaded browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that run as root in a container with no network but loopback. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ROOT_DIR = resolve(__dirname, '..', '..', '..');

/** Where screenshots go: test-output/ (ignored by git) unless SCREENSHOT_DIR names the committed set. */
export const SCREENSHOT_DIR = resolve(ROOT_DIR, process.env.SCREENSHOT_DIR ?? join('test-output', 'screenshots'));

export const VIEWPORT = { width: 1280, height: 800 };

/** A booted browser suite; the getters throw outside a test, where there is no page. */
export interface SandboxBrowser {
  /** The service as a person opens it: http://localhost:PORT (the redirect URI's origin). */
  readonly origin: string;
  /** The built-in Webex emulator: http://localhost:SANDBOX_PORT. */
  readonly emulatorOrigin: string;
  readonly app: BootedApp;
  readonly page: Page;
  readonly watch: PageWatch;
}

/**
 * Registers the hooks of a browser suite: the service in sandbox mode listening on a free port,
 * one Chromium per file, and per test a fresh context (no cookies) whose page is watched; a test
 * fails when anything went wrong in any page it visited, or a service page went unchecked.
 */
export function useSandboxBrowser(): SandboxBrowser {
  jest.setTimeout(30_000);
  let app: BootedApp | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let watch: PageWatch | undefined;
  let port = 0;
  let sandboxPort = 0;

  beforeAll(async () => {
    port = await freePort();
    do sandboxPort = await freePort();
    while (sandboxPort === port);
    const [booted, launched] = await Promise.allSettled([
      bootApp(undefined, { PORT: String(port), SANDBOX_PORT: String(sandboxPort) }, { listenPort: port }),
      // Playwright gives Chromium a fresh temporary --user-data-dir and removes it on close.
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS }),
    ]);
    // Keep whichever started, so afterAll stops it: a booted app left running holds Jest open
    // and keeps capturing the output that would say what failed.
    if (booted.status === 'fulfilled') app = booted.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (booted.status === 'rejected') throw booted.reason;
    if (launched.status === 'rejected') {
      throw new Error(
        `Chromium at ${CHROMIUM_PATH} did not start (Debian's: apt-get install chromium): ${String(launched.reason)}`,
      );
    }
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  beforeEach(async () => {
    context = await browser!.newContext({ viewport: VIEWPORT, colorScheme: 'light', locale: 'en-US' });
    await context.addInitScript(CSP_LISTENER);
    page = await context.newPage();
    watch = new PageWatch({ service: suite.origin, emulator: suite.emulatorOrigin });
    watch.attach(page);
  });

  afterEach(async () => {
    await context?.close();
    const seen = watch;
    context = page = watch = undefined;
    if (!seen) return; // beforeEach failed, and said why
    expect(seen.problems).toEqual([]);
    expect(seen.checkedDocuments).toEqual(seen.servedDocuments);
  });

  const suite: SandboxBrowser = {
    get origin() {
      return `http://localhost:${port}`;
    },
    get emulatorOrigin() {
      return `http://localhost:${sandboxPort}`;
    },
    get app() {
      if (!app) throw new Error('the app is not booted');
      return app;
    },
    get page() {
      if (!page) throw new Error('no page outside a test');
      return page;
    },
    get watch() {
      if (!watch) throw new Error('no page watch outside a test');
      return watch;
    },
  };
  return suite;
}

/** A full-page screenshot under a stable name (`NAME.png`) in SCREENSHOT_DIR. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({
    path: join(SCREENSHOT_DIR, `${name}.png`),
    fullPage: true,
    animations: 'disabled',
    caret: 'hide',
  });
}
