import { Controller, Get, Inject, Render } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Feature, Webex, WebexClient } from '../auth';
import { formatDate, type FormattedDate } from '../common';
import { webexConfig } from '../config';
import { webexCalls, type WebexTeam } from '../webex';

export interface TeamView {
  name: string;
  description?: string;
  created?: FormattedDate;
}

export function toTeamView(team: WebexTeam): TeamView {
  return { name: team.name, description: team.description || undefined, created: formatDate(team.created) };
}

/** The teams the signed-in person belongs to. */
@Feature({
  key: 'teams',
  label: 'The teams list',
  calls: [webexCalls.teams],
  nav: { label: 'Teams', href: '/teams' },
})
@Controller('teams')
export class TeamsController {
  constructor(@Inject(webexConfig.KEY) private readonly config: ConfigType<typeof webexConfig>) {}

  @Get()
  @Render('teams')
  async teams(@Webex() webex: WebexClient) {
    const { items: teams, truncated } = await webex.list(webexCalls.teams);
    return {
      teams: teams.map(toTeamView),
      summary: `${teams.length} team${teams.length === 1 ? '' : 's'}`,
      truncated,
      limit: this.config.listLimit,
    };
  }
}
