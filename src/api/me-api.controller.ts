import { Controller, Get, UseFilters } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Feature, Webex, WebexClient } from '../auth';
import { webexCalls } from '../webex';
import { MeDto } from './api.dto';
import { ApiFailures } from './api-failures.decorator';
import { ApiProblemFilter } from './api-problem.filter';

/**
 * The signed-in person as Webex's People API has them. A feature of its own: with Login with
 * Webex, sign-in needs no spark:people_read, and an integration without it has this answer 403.
 */
@ApiTags('session')
@UseFilters(ApiProblemFilter)
@Feature({ key: 'profile', label: 'Webex profile', calls: [webexCalls.me] })
@Controller('api/v1')
export class MeApiController {
  @Get('me')
  @ApiCookieAuth()
  @ApiOperation({ summary: 'The signed-in person, as Webex knows them' })
  @ApiOkResponse({ type: MeDto })
  @ApiFailures(401, 403, 429, 502, 503)
  async getMe(@Webex() webex: WebexClient): Promise<MeDto> {
    const person = await webex.get(webexCalls.me);
    return {
      id: person.id,
      displayName: person.displayName,
      emails: person.emails ?? [],
      ...(person.avatar ? { avatar: person.avatar } : {}),
    };
  }
}
