import { Controller, Get, Inject, Render, Req } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { Feature, SessionTokensService } from '../auth';
import { formatDate, type FormattedDate } from '../common';
import { webexConfig } from '../config';
import { WebexApiService, webexCalls, type WebexRoom } from '../webex';

export interface RoomView {
  id: string;
  title: string;
  type: string;
  lastActivity?: FormattedDate;
}

export function toRoomView(room: WebexRoom): RoomView {
  return {
    id: room.id,
    title: room.title,
    type: room.type === 'direct' ? 'Direct' : 'Group',
    lastActivity: formatDate(room.lastActivity),
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
