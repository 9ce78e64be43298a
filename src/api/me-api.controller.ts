import { Controller, Get, Req, UseFilters } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Feature, SessionTokensService } from '../auth';
import { WebexApiService, webexCalls } from '../webex';
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
  constructor(
    private readonly webex: WebexApiService,
    private readonly tokens: SessionTokensService,
  ) {}

  @Get('me')
  @ApiCookieAuth()
  @ApiOperation({ summary: 'The signed-in person, as Webex knows them' })
  @ApiOkResponse({ type: MeDto })
  @ApiFailures(401, 403, 429, 502, 503)
  async getMe(@Req() req: Request): Promise<MeDto> {
    const person = await this.tokens.withAccessToken(req, (token) => this.webex.get(webexCalls.me, token));
    return {
      id: person.id,
      displayName: person.displayName,
      emails: person.emails ?? [],
      ...(person.avatar ? { avatar: person.avatar } : {}),
    };
  }
}
