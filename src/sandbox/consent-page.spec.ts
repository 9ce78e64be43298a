import { consentPage, escapeHtml } from './consent-page';

describe(escapeHtml.name, () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['Tom & Jerry', 'Tom &amp; Jerry'],
    [`"Double" and 'single'`, '&quot;Double&quot; and &#39;single&#39;'],
    ['&amp;', '&amp;amp;'],
    ['plain ünïcödé ✓', 'plain ünïcödé ✓'],
  ])('escapes %j', (text, html) => {
    expect(escapeHtml(text)).toBe(html);
  });
});

describe(consentPage.name, () => {
  it('escapes every value it is given, attributes included', () => {
    const html = consentPage({
      tx: '"><script>',
      clientId: '<b>app</b>',
      scopes: ['<i>scope</i>'],
      users: [{ handle: 'x" onclick="y', displayName: '<img src=x>', email: '"@x' }],
    });

    expect(html).not.toMatch(/<script>|<b>app|<i>scope|<img src=x>|onclick="y"/);
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;"');
  });
});
