import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RoomSort, RoomType } from './seed-data';

/** One page of GET /v1/rooms: its filters and where it starts. */
export interface RoomsQuery {
  offset: number;
  max: number;
  sortBy: RoomSort;
  type?: RoomType;
  teamId?: string;
}

const MAC_BYTES = 16;
const MAX_CURSOR_CHARS = 2048;
const SORTS: readonly string[] = ['id', 'lastactivity', 'created'];

/**
 * Opaque next-page cursors. They are MACed with a key made at start, so a tampered or made-up
 * cursor is refused instead of being read as an arbitrary offset.
 */
export class RoomsCursorCodec {
  private readonly key = randomBytes(32);

  encode(query: RoomsQuery): string {
    const payload = Buffer.from(
      JSON.stringify([query.offset, query.max, query.sortBy, query.type ?? null, query.teamId ?? null]),
    );
    return Buffer.concat([this.mac(payload), payload]).toString('base64url');
  }

  /** The query a cursor stands for, or undefined when it is not one of ours. */
  decode(cursor: string): RoomsQuery | undefined {
    if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
    const raw = Buffer.from(cursor, 'base64url');
    if (raw.length <= MAC_BYTES) return undefined;
    const payload = raw.subarray(MAC_BYTES);
    if (!timingSafeEqual(raw.subarray(0, MAC_BYTES), this.mac(payload))) return undefined;
    try {
      const [offset, max, sortBy, type, teamId] = JSON.parse(payload.toString('utf8')) as unknown[];
      if (
        !Number.isInteger(offset) ||
        !Number.isInteger(max) ||
        typeof sortBy !== 'string' ||
        !SORTS.includes(sortBy)
      ) {
        return undefined;
      }
      return {
        offset: offset as number,
        max: max as number,
        sortBy: sortBy as RoomSort,
        type: type === 'direct' || type === 'group' ? type : undefined,
        teamId: typeof teamId === 'string' ? teamId : undefined,
      };
    } catch {
      return undefined;
    }
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
