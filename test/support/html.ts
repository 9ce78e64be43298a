import type { Response } from 'supertest';

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the character references a template engine may write (named, decimal and hex). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1].toLowerCase() === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** What a person reads: tags dropped, references decoded, white space collapsed. */
export function textOf(html: string): string {
  return decodeEntities(
    html
      .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ')
      // Inline elements do not break the text ("<strong>Alice</strong>!" reads "Alice!"); others do.
      .replace(/<\/?(strong|em|b|i|span|code|a|time|small|abbr)\b[^>]*>/gi, '')
      .replace(/<[^>]+>/g, ' '),
  )
    .replace(/\s+/g, ' ')
    .trim();
}

export function h1Of(html: string): string | undefined {
  const match = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html);
  return match ? textOf(match[1]) : undefined;
}

export function titleOf(html: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return match ? textOf(match[1]) : undefined;
}

/** The `href`s of links whose text is exactly `text`. */
export function linkTargets(html: string, text: string): string[] {
  const targets: string[] = [];
  for (const match of html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)) {
    if (textOf(match[2]) !== text) continue;
    const href = /\bhref="([^"]*)"/i.exec(match[1]);
    if (href) targets.push(decodeEntities(href[1]));
  }
  return targets;
}

/** Forms as `METHOD action`, e.g. `POST /logout`. */
export function formsOf(html: string): string[] {
  return [...html.matchAll(/<form\b([^>]*)>/gi)].map((match) => {
    const method = /\bmethod="([^"]*)"/i.exec(match[1])?.[1] ?? 'get';
    const action = /\baction="([^"]*)"/i.exec(match[1])?.[1] ?? '';
    return `${method.toUpperCase()} ${decodeEntities(action)}`;
  });
}

/** The `datetime` of every `<time>` element, in page order. */
export function timesOf(html: string): string[] {
  return [...html.matchAll(/<time\b[^>]*\bdatetime="([^"]*)"/gi)].map((m) => m[1]);
}

/** What a person reads in the first cell of each row of the page's table body: the room titles. */
export function roomTitlesOf(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/i.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>\s*<td>([\s\S]*?)<\/td>/gi)].map((m) => textOf(m[1]));
}

/** The value a response's Set-Cookie gives `name`, or undefined when it sets no such cookie. */
export function setCookie(
  res: Response,
  name: string,
): { value: string; attributes: string; header: string } | undefined {
  const raw = res.headers['set-cookie'] as unknown;
  const headers = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  for (const header of headers) {
    const [pair, ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq).trim() === name)
      return { value: pair.slice(eq + 1).trim(), attributes: attributes.join(';'), header };
  }
  return undefined;
}

/**
 * Things an error page must never show: a stack trace, a source path, the client secret, and
 * anything shaped like a token or code (43+ base64url characters; Webex tracking ids and Webex
 * ids, which are base64 of a public ciscospark:// URI, excepted).
 */
/** What every Webex id starts with: base64 of "ciscospark://". */
const WEBEX_ID_PREFIX = Buffer.from('ciscospark://').toString('base64').slice(0, 16);

export function leaksIn(html: string, secrets: readonly string[] = []): string[] {
  const found: string[] = [];
  if (/\bat\s+\S+\s+\([^)]*:\d+:\d+\)|\bat\s+\/\S*:\d+:\d+|^\s+at\s/m.test(html)) found.push('stack trace');
  if (/(\/work\/|[\w-]+\.(ts|js):\d+|node_modules|[A-Z]:\\)/.test(html)) found.push('source path');
  for (const secret of secrets) if (secret && html.includes(secret)) found.push(`secret ${secret.slice(0, 6)}…`);
  for (const match of html.matchAll(/[A-Za-z0-9_-]{43,}/g)) {
    if (!/^ROUTER_[0-9A-F-]{36}$/.test(match[0]) && !match[0].startsWith(WEBEX_ID_PREFIX)) {
      found.push(`token-shaped ${match[0].slice(0, 6)}…`);
    }
  }
  return found;
}

export const TRACKING_ID = /ROUTER_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}/;
