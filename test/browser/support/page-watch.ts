import type { ConsoleMessage, Page, Request, Response } from 'playwright-core';

/**
 * Runs in every page before its own code. Injected by the driver (CDP), so the page's CSP does
 * not apply to it; it turns a CSP violation into a console error the watch cannot miss, even
 * where Chromium reports none (report-only policies, blocked inline style attributes).
 */
export const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', (event) => {
  console.error('securitypolicyviolation: ' + event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline') +
    ' on ' + event.documentURI);
});`;

/** Chromium logs a document answered with 4xx/5xx like a failed subresource. */
const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d+)/;

/**
 * Everything that went wrong in a page while a test drove it: console errors, uncaught errors,
 * dialogs (an alert means a script ran), CSP violations, failed same-origin requests and any
 * request leaving the loopback origins. A test ends with `problems` empty.
 */
export class PageWatch {
  readonly problems: string[] = [];
  /** Service documents the browser rendered (not redirects), in order. */
  readonly servedDocuments: string[] = [];
  /** Service documents a test looked at with `expectServicePage`, in order. */
  readonly checkedDocuments: string[] = [];
  private readonly expectedStatuses: { path: string; status: number }[] = [];
  private readonly failedDocuments = new Map<string, number>();

  constructor(private readonly origins: { service: string; emulator: string }) {}

  attach(page: Page): void {
    page.on('console', (message) => this.onConsole(message));
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      this.problems.push(`dialog (${dialog.type()}): ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('request', (request) => this.onRequest(request));
    page.on('requestfailed', (request) => this.onRequestFailed(request));
    page.on('response', (response) => this.onResponse(response));
  }

  /** The next service document at `path` is meant to answer `status` (an error page). */
  expectDocumentStatus(path: string, status: number): void {
    this.expectedStatuses.push({ path, status });
  }

  /** Problems so far, cleared: for tests that provoke them on purpose. */
  take(): string[] {
    return this.problems.splice(0);
  }

  private onConsole(message: ConsoleMessage): void {
    if (message.type() !== 'error') return;
    const text = message.text();
    const failed = FAILED_LOAD.exec(text);
    // Already judged in onResponse: an expected error page is fine, anything else was reported there.
    if (failed && this.failedDocuments.get(message.location().url) === Number(failed[1])) return;
    this.problems.push(`console error: ${text} (${message.location().url})`);
  }

  private onRequest(request: Request): void {
    const origin = new URL(request.url()).origin;
    if (origin !== this.origins.service && origin !== this.origins.emulator && !request.url().startsWith('data:')) {
      this.problems.push(`request leaves the sandbox: ${request.method()} ${request.url()}`);
    }
  }

  private onRequestFailed(request: Request): void {
    this.problems.push(
      `request failed: ${request.method()} ${request.url()} (${request.resourceType()}): ${request.failure()?.errorText}`,
    );
  }

  private onResponse(response: Response): void {
    const request = response.request();
    const url = new URL(response.url());
    const isDocument = request.isNavigationRequest() && request.frame().parentFrame() === null;
    if (isDocument && url.origin === this.origins.service && (response.status() < 300 || response.status() >= 400)) {
      this.servedDocuments.push(response.url());
    }
    if (response.status() < 400) return;
    if (isDocument) {
      const index = this.expectedStatuses.findIndex((e) => e.path === url.pathname && e.status === response.status());
      if (index >= 0) {
        this.expectedStatuses.splice(index, 1);
        this.failedDocuments.set(response.url(), response.status());
        return;
      }
    }
    this.problems.push(`${response.status()} for ${request.method()} ${response.url()} (${request.resourceType()})`);
  }
}
