import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** Where the next page starts: after this space, which had this last activity, for this person. */
export interface SpaceCursor {
  /** The last space of the previous page. */
  after: string;
  /** Its lastActivity, to find the place again when that space moved or went. */
  at?: string;
  /** The person it was made for: a cursor is not a way to page through someone else's list. */
  user: string;
}

/**
 * Opaque page cursors: base64url JSON and an HMAC over it. Signed so a client cannot craft one
 * (it only ever holds what we gave); keyed from the session secrets, so rolling SESSION_SECRET
 * keeps the cursors made with the previous one valid, like the cookies.
 */
export class SpaceCursorCodec {
  private readonly keys: Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('SpaceCursorCodec needs at least one secret');
    // A key of its own: an HMAC made with the cookie secret itself could be confused with a cookie signature.
    this.keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, '', 'api space cursor v1', 32)));
  }

  encode(cursor: SpaceCursor): string {
    const body = Buffer.from(JSON.stringify({ v: 1, a: cursor.after, t: cursor.at, u: cursor.user })).toString(
      'base64url',
    );
    return `${body}.${this.mac(this.keys[0], body).toString('base64url')}`;
  }

  /** The cursor, or undefined when it is not one we made (or was made with a secret since retired). */
  decode(text: string): SpaceCursor | undefined {
    const [body, signature, extra] = text.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    const given = Buffer.from(signature, 'base64url');
    const genuine = this.keys.some((key) => {
      const expected = this.mac(key, body);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!genuine) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (parsed.v !== 1 || typeof parsed.a !== 'string' || typeof parsed.u !== 'string') return undefined;
      return { after: parsed.a, at: typeof parsed.t === 'string' ? parsed.t : undefined, user: parsed.u };
    } catch {
      return undefined;
    }
  }

  private mac(key: Buffer, body: string): Buffer {
    return createHmac('sha256', key).update(body).digest();
  }
}

/**
 * Where a page starts in a list sorted newest activity first: just after the cursor's space, or,
 * when that space has since moved (new activity) or gone, at the first space not newer than it was.
 */
export function pageStart(items: readonly { id: string; lastActivity?: string }[], cursor: SpaceCursor): number {
  const index = items.findIndex((item) => item.id === cursor.after);
  if (index >= 0) return index + 1;
  if (cursor.at === undefined) return items.length;
  const at = cursor.at;
  const next = items.findIndex((item) => (item.lastActivity ?? '') <= at);
  return next < 0 ? items.length : next;
}
