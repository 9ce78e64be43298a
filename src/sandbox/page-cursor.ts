import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What JSON.stringify keeps as it is; an absent optional field comes back absent. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json | undefined };

const MAC_BYTES = 16;
// Node refuses request heads over 16 KiB, so no longer cursor can arrive; this bounds the work anyway.
const MAX_CURSOR_CHARS = 16_384;
const CURSOR = /^[A-Za-z0-9_-]+$/;

/**
 * Opaque next-page cursors for one list: the list's query and the offset of the page. They are
 * MACed with a key made for this codec, so a tampered or made-up cursor, or one from another list
 * or another emulator, is refused instead of being read as an arbitrary query or offset; and what
 * comes back is exactly what was encoded, checked when the first page was asked for.
 */
export class PageCursorCodec<Q extends Json> {
  private readonly key = randomBytes(32);

  encode(query: Q, offset: number): string {
    const payload = Buffer.from(JSON.stringify([offset, query]));
    return Buffer.concat([this.mac(payload), payload]).toString('base64url');
  }

  /** The query and offset a cursor stands for, or undefined when it is not one of ours. */
  decode(cursor: string): { query: Q; offset: number } | undefined {
    if (cursor.length > MAX_CURSOR_CHARS || !CURSOR.test(cursor)) return undefined;
    const raw = Buffer.from(cursor, 'base64url');
    if (raw.length <= MAC_BYTES) return undefined;
    const payload = raw.subarray(MAC_BYTES);
    if (!timingSafeEqual(raw.subarray(0, MAC_BYTES), this.mac(payload))) return undefined;
    try {
      const [offset, query] = JSON.parse(payload.toString('utf8')) as [unknown, Q];
      return Number.isSafeInteger(offset) && (offset as number) >= 0 ? { query, offset: offset as number } : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
