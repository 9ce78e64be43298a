import { Controller, Get, Inject, Param, Query, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FeatureOf, SignedInUser, Webex, WebexClient } from '../auth';
import { sessionConfig } from '../config';
import type { SessionUser } from '../session';
import { fetchSpace, memberName } from '../spaces';
import { webexCalls, type WebexMembership, type WebexRoom } from '../webex';
import {
  SPACES_DEFAULT_LIMIT,
  SpaceDetailsDto,
  SpaceDto,
  SpaceParamsDto,
  SpacesPageDto,
  SpacesQueryDto,
} from './api.dto';
import { InvalidInputError } from './api.errors';
import { ApiFailures } from './api-failures.decorator';
import { ApiProblemFilter } from './api-problem.filter';
import { apiValidationPipe } from './api-validation.pipe';
import { pageStart, SpaceCursorCodec } from './space-cursor';

export function toSpaceDto(room: WebexRoom): SpaceDto {
  return {
    id: room.id,
    title: room.title,
    type: room.type,
    isLocked: room.isLocked ?? false,
    ...(room.lastActivity ? { lastActivity: room.lastActivity } : {}),
    ...(room.created ? { created: room.created } : {}),
  };
}

function toMemberDto(member: WebexMembership) {
  return {
    ...(member.personId ? { personId: member.personId } : {}),
    displayName: memberName(member),
    ...(member.personEmail ? { email: member.personEmail } : {}),
    isModerator: member.isModerator ?? false,
  };
}

/**
 * The spaces as JSON: the same Webex calls as the spaces pages, through the same token handling
 * (the global AuthGuard refreshes before expiry, the `@Webex()` client once on a 401). Behind the same
 * features, so a scope the integration lacks turns off the page and the API together.
 */
@ApiTags('spaces')
@ApiCookieAuth()
@UseFilters(ApiProblemFilter)
@Controller('api/v1/spaces')
export class SpacesApiController {
  private readonly cursors: SpaceCursorCodec;

  constructor(@Inject(sessionConfig.KEY) config: ConfigType<typeof sessionConfig>) {
    this.cursors = new SpaceCursorCodec(config.secrets);
  }

  /**
   * Webex pages by Link headers whose URLs hold its own cursors, which we would have to hand out
   * or keep; instead the list is read as the page does (newest activity first, up to the list
   * limit) and cut here, with a cursor that names the last space given.
   */
  @Get()
  @ApiOperation({ summary: 'The person’s spaces, newest activity first, a page at a time' })
  @ApiOkResponse({ type: SpacesPageDto })
  @ApiFailures(400, 401, 403, 429, 502, 503)
  @FeatureOf('spaces')
  async listSpaces(
    @Webex() webex: WebexClient,
    @SignedInUser() { id: user }: SessionUser,
    @Query(apiValidationPipe()) query: SpacesQueryDto,
  ): Promise<SpacesPageDto> {
    const cursor = query.cursor === undefined ? undefined : this.cursors.decode(query.cursor);
    if (query.cursor !== undefined && (!cursor || cursor.user !== user)) {
      throw new InvalidInputError([{ field: 'cursor', message: 'cursor must be a nextCursor this API gave you' }]);
    }
    const { items, truncated } = await webex.list(webexCalls.rooms, { query: { sortBy: 'lastactivity' } });
    const start = cursor ? pageStart(items, cursor) : 0;
    const page = items.slice(start, start + (query.limit ?? SPACES_DEFAULT_LIMIT));
    const last = page.at(-1);
    const more = last !== undefined && start + page.length < items.length;
    return {
      items: page.map(toSpaceDto),
      ...(more ? { nextCursor: this.cursors.encode({ after: last.id, at: last.lastActivity, user }) } : {}),
      truncated,
    };
  }

  @Get(':roomId')
  @ApiOperation({ summary: 'One space: its details and its people' })
  @ApiOkResponse({ type: SpaceDetailsDto })
  @ApiFailures(400, 401, 403, 404, 429, 502, 503)
  @FeatureOf('space')
  async getSpace(
    @Webex() webex: WebexClient,
    @Param(apiValidationPipe()) { roomId }: SpaceParamsDto,
  ): Promise<SpaceDetailsDto> {
    const [room, members] = await fetchSpace(webex, roomId);
    return {
      space: toSpaceDto(room),
      members: { items: members.items.map(toMemberDto), truncated: members.truncated },
    };
  }
}
