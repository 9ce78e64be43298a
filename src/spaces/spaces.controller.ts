import { Controller, Get, Inject, Render } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Feature, Webex, WebexClient } from '../auth';
import { formatDate, type FormattedDate } from '../common';
import { webexConfig } from '../config';
import { webexCalls, type WebexRoom } from '../webex';

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
 * The spaces list (the tutorial's /listrooms). Behind the global AuthGuard (no @Public()), which
 * loads the session's tokens, refreshes them when they are about to expire and hands the handler
 * its `@Webex()` client.
 */
@Feature({
  key: 'spaces',
  label: 'The spaces list',
  calls: [webexCalls.rooms],
  nav: { label: 'Spaces', href: '/listrooms' },
})
@Controller()
export class SpacesController {
  constructor(@Inject(webexConfig.KEY) private readonly config: ConfigType<typeof webexConfig>) {}

  @Get('listrooms')
  @Render('list-rooms')
  async listRooms(@Webex() webex: WebexClient) {
    const { items: rooms, truncated } = await webex.list(webexCalls.rooms, { query: { sortBy: 'lastactivity' } });
    return {
      rooms: rooms.map(toRoomView),
      summary: `${rooms.length} space${rooms.length === 1 ? '' : 's'}`,
      truncated,
      limit: this.config.listLimit,
    };
  }
}
