import { Controller, Get, Header, Inject, Render, UseInterceptors } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LRUCache } from 'lru-cache';
import { AccessToken, WebexRetryInterceptor } from '../auth';
import { webexConfig } from '../config';
import { WebexApiService, type WebexRoom } from '../webex';

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

/**
 * Protected by the global AuthGuard (no @Public() here). WebexRetryInterceptor turns a 401 from
 * Webex into one refresh and one replay; it sits on the controllers that call Webex only, as an
 * interceptor on every route cost every page (bench/RESULTS.md).
 */
@UseInterceptors(WebexRetryInterceptor)
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
