import { useSandboxBrowser } from './support/sandbox-browser';
import { expectServicePage, H1 } from './support/pages';

/** The other suites pass because the watch saw nothing wrong: check that it sees what it must. */
describe('The page watch', () => {
  const suite = useSandboxBrowser();

  it('reports a CSP violation, a page error, a dialog, a refused stylesheet and a missing image', async () => {
    const { page, watch } = suite;
    await page.goto(`${suite.origin}/`);
    await expectServicePage(suite, H1.home);

    // page.evaluate itself is exempt from CSP; the <script> it adds is not.
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineScriptRan = true';
      document.body.append(script);
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = '/static/missing.css';
      document.head.append(link);
      const image = new Image();
      image.src = '/static/missing.svg';
      setTimeout(() => {
        throw new Error('boom from the page');
      });
      setTimeout(() => alert('a dialog'));
      await Promise.all([
        new Promise((resolve) => link.addEventListener('error', resolve)),
        new Promise((resolve) => image.addEventListener('error', resolve)),
      ]);
      return 'inlineScriptRan' in window;
    });
    expect(ran).toBe(false);
    const deadline = Date.now() + 5_000;
    while (watch.problems.length < 8 && Date.now() < deadline) await page.waitForTimeout(50);

    const problems = watch.take();
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^console error: securitypolicyviolation: script-src-elem blocked inline/),
        expect.stringMatching(/^console error: .*Content Security Policy directive 'script-src 'self''/),
        expect.stringMatching(/^page error: boom from the page/),
        expect.stringMatching(/^dialog \(alert\): a dialog/),
        // The 404 page is HTML, which Chromium refuses as a stylesheet and aborts.
        expect.stringMatching(/^console error: Refused to apply style from '.*\/static\/missing\.css'/),
        expect.stringMatching(/^request failed: GET .*\/static\/missing\.css \(stylesheet\)/),
        expect.stringMatching(/^404 for GET .*\/static\/missing\.svg \(image\)/),
        expect.stringMatching(/^console error: Failed to load resource: .* 404/),
      ]),
    );
  });
});
