/**
 * Returns the target of the rel="next" link in an RFC 8288 Link header, if any.
 * Webex paginates /rooms this way; the URL is opaque and followed as it is.
 */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  for (const value of values) {
    // Split on commas that start a new link-value, not on commas inside the <URI> or a quoted string.
    for (const part of value.split(/,(?=\s*<)/)) {
      const match = /^\s*<([^>]*)>(.*)$/s.exec(part);
      if (!match) continue;
      const params = match[2].split(';').slice(1);
      for (const param of params) {
        const [name, ...rest] = param.split('=');
        if (name.trim().toLowerCase() !== 'rel') continue;
        const rels = rest.join('=').trim().replace(/^"|"$/g, '').toLowerCase().split(/\s+/);
        if (rels.includes('next')) return match[1];
      }
    }
  }
  return undefined;
}
