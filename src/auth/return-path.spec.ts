import { safeReturnPath } from './return-path';

describe(safeReturnPath.name, () => {
  it.each([
    ['/listrooms', '/listrooms'],
    ['/spaces/abc', '/spaces/abc'],
    ['/spaces/Y2lzY29zcGFyazovL3VzL1JPT00vMQ', '/spaces/Y2lzY29zcGFyazovL3VzL1JPT00vMQ'],
    ['/listrooms?page=2', '/listrooms?page=2'],
    ['/index.html', '/index.html'],
    ['/', '/'],
    ['/spaces/a%20b', '/spaces/a%20b'],
    ['/listrooms#top', '/listrooms'],
  ])('keeps the same-origin path %s', (candidate, expected) => {
    expect(safeReturnPath(candidate)).toBe(expected);
  });

  it.each([
    ['protocol-relative', '//evil.test'],
    ['protocol-relative with path', '//evil.test/listrooms'],
    ['backslash', '/\\evil.test'],
    ['double backslash', '\\\\evil.test'],
    ['backslash then slash', '\\/evil.test'],
    ['absolute http', 'http://evil.test/'],
    ['absolute https', 'https://evil.test/listrooms'],
    ['javascript scheme', 'javascript:alert(1)'],
    ['data scheme', 'data:text/html,hi'],
    ['no leading slash', 'evil.test'],
    ['encoded slash', '/%2Fevil.test'],
    ['encoded slashes', '/%2F%2Fevil.test'],
    ['double-encoded slash', '/%252Fevil.test'],
    ['encoded backslash', '/%5Cevil.test'],
    ['encoded backslash twice', '/%255Cevil.test'],
    ['tab inside', '/\t/evil.test'],
    ['newline inside', '/\n/evil.test'],
    ['encoded tab', '/%09/evil.test'],
    ['encoded newline', '/%0A/evil.test'],
    ['space first', ' /evil'],
    ['malformed encoding', '/%E0%A4%A'],
    ['empty', ''],
    ['a loop through login', '/login'],
    ['a loop through logout', '/logout'],
    ['the callback', '/oauth?code=x'],
    ['a loop through login in capitals, which Express routes the same', '/LOGIN'],
    ['the callback with a trailing slash', '/OAuth/?code=x'],
    ['too long', `/${'a'.repeat(3000)}`],
    ['userinfo trick', '//user@evil.test'],
    ['triple slash', '///evil.test'],
  ])('refuses %s (%s)', (_name, candidate) => {
    expect(safeReturnPath(candidate)).toBeUndefined();
  });

  it.each([[undefined], [null], [42], [['/listrooms']], [{ path: '/' }]])('refuses a non-string %p', (candidate) => {
    expect(safeReturnPath(candidate)).toBeUndefined();
  });
});
