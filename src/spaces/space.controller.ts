import { Controller, Get, Param, Render, ValidationPipe } from '@nestjs/common';
import { Matches } from 'class-validator';
import { Feature, Webex, WebexClient } from '../auth';
import { formatDate } from '../common';
import { webexCalls, type WebexMembership, type WebexRoom } from '../webex';
import { fetchSpace, memberName, ROOM_ID_PATTERN } from './space';

export class SpaceParams {
  @Matches(ROOM_ID_PATTERN)
  roomId!: string;
}

export function toSpaceView(room: WebexRoom, members: { items: WebexMembership[]; truncated: boolean }) {
  return {
    room: {
      title: room.title,
      type: room.type === 'direct' ? 'Direct' : 'Group',
      locked: room.isLocked ?? false,
      created: formatDate(room.created),
      lastActivity: formatDate(room.lastActivity),
    },
    members: members.items.map((member) => ({
      name: memberName(member),
      email: member.personEmail,
      moderator: member.isModerator ?? false,
    })),
    summary: `${members.items.length.toLocaleString('en-GB')} ${members.items.length === 1 ? 'person' : 'people'}`,
    truncated: members.truncated,
  };
}

/** One space: its details and its people. Behind the AuthGuard, like every page that calls Webex. */
@Feature({ key: 'space', label: 'Space pages', calls: [webexCalls.room, webexCalls.memberships] })
@Controller('spaces')
export class SpaceController {
  @Get(':roomId')
  @Render('space')
  async space(@Webex() webex: WebexClient, @Param(new ValidationPipe()) { roomId }: SpaceParams) {
    const [room, members] = await fetchSpace(webex, roomId);
    return toSpaceView(room, members);
  }
}
