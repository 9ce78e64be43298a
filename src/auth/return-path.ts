/**
 * The page to go back to after sign-in, kept only if it is a path on this site. Anything that a
 * browser could read as another origin (`//evil.test`, `/\evil.test`, `https://…`, encoded or with
 * control characters) is refused: a return-to must never be an open redirect.
 */
export function safeReturnPath(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string') return undefined;
  if (candidate.length === 0 || candidate.length > 2048) return undefined;
  if (!candidate.startsWith('/')) return undefined;
  // Control characters and whitespace: browsers strip tabs and newlines, turning "/\t/evil" into "//evil".
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f\\]/.test(candidate)) return undefined;
  let decoded = candidate;
  try {
    // Decode repeatedly: "/%2F%2Fevil.test" or "%252F" must not become "//evil.test" later.
    for (let i = 0; i < 3; i += 1) {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    }
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  if (decoded.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(decoded)) return undefined;
  const base = 'http://return-path.invalid';
  let url: URL;
  try {
    url = new URL(candidate, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base) return undefined;
  // Sign-in pages themselves are never a destination: they would loop. Any case, as Express matches routes.
  if (/^\/(login|logout|oauth)(\/|$)/i.test(url.pathname)) return undefined;
  return url.pathname + url.search;
}
