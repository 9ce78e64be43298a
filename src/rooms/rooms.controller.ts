import { Controller, Get, Inject, Render, Req } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LRUCache } from 'lru-cache';
import type { Request } from 'express';
import { Feature, SessionTokensService } from '../auth';
import { Page } from '../common/page';
import { webexConfig } from '../config';
import { WebexApiService, webexCalls, type WebexRoom } from '../webex';

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export interface RoomView {
  id: string;
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
    id: room.id,
    title: room.title,
    type: room.type === 'direct' ? 'Direct' : 'Group',
    lastActivity: room.lastActivity ? formatDate(room.lastActivity) : undefined,
  };
}

/**
 * Protected by the global AuthGuard (no @Public() here), which loads the session's tokens and
 * refreshes them when they are about to expire; `withAccessToken` handles a 401 from Webex.
 */
@Feature({ key: 'spaces', label: 'The spaces list', calls: [webexCalls.rooms] })
@Controller()
export class RoomsController {
  constructor(
    private readonly webex: WebexApiService,
    private readonly tokens: SessionTokensService,
    @Inject(webexConfig.KEY) private readonly config: ConfigType<typeof webexConfig>,
  ) {}

  @Get('listrooms')
  @Page('Spaces List')
  @Render('list-rooms')
  async listRooms(@Req() req: Request) {
    const { items: rooms, truncated } = await this.tokens.withAccessToken(req, (token) =>
      this.webex.list(webexCalls.rooms, token, { query: { sortBy: 'lastactivity' } }),
    );
    return {
      rooms: rooms.map(toRoomView),
      summary: `${rooms.length} space${rooms.length === 1 ? '' : 's'}`,
      truncated,
      limit: this.config.listLimit,
    };
  }
}
