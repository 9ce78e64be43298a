import { Controller, Get, Header, Inject, Render } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LRUCache } from 'lru-cache';
// The decorator file, not the auth barrel: AuthModule imports WebexModule.
import { AccessToken } from '../auth/access-token.decorator';
import { webexConfig } from '../config';
import { WebexApiService } from './webex-api.service';
import type { WebexRoom } from './webex.types';

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export interface RoomView {
  title: string;
  type: string;
  lastActivity?: { iso: string; label: string };
}

/** Formatting dates is the costliest part of a room row; the same timestamps come back on every visit. */
const formattedDates = new LRUCache<string, { iso: string; label: string }>({ max: 20_000 });

function formatDate(value: string): { iso: string; label: string } | undefined {
  const known = formattedDates.get(value);
  if (known) return known;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  const formatted = { iso: date.toISOString(), label: `${dateFormat.format(date)} UTC` };
  formattedDates.set(value, formatted);
  return formatted;
}

export function toRoomView(room: WebexRoom): RoomView {
  return {
    title: room.title,
    type: room.type === 'direct' ? 'Direct' : 'Group',
    lastActivity: room.lastActivity ? formatDate(room.lastActivity) : undefined,
  };
}

/** Protected by the global AuthGuard: no @Public() here. */
@Controller()
export class RoomsController {
  constructor(
    private readonly webex: WebexApiService,
    @Inject(webexConfig.KEY) private readonly config: ConfigType<typeof webexConfig>,
  ) {}

  @Get('listrooms')
  @Header('Cache-Control', 'no-store')
  @Render('list-rooms')
  async listRooms(@AccessToken() token: string) {
    const { rooms, truncated } = await this.webex.listRooms(token);
    return {
      title: 'Spaces List',
      signedIn: true,
      rooms: rooms.map(toRoomView),
      summary: `${rooms.length} space${rooms.length === 1 ? '' : 's'}`,
      truncated,
      limit: this.config.roomsLimit,
    };
  }
}
