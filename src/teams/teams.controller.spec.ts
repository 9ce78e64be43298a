import type { ConfigType } from '@nestjs/config';
import type { WebexClient } from '../auth';
import type { webexConfig } from '../config';
import { webexCalls } from '../webex';
import { TeamsController } from './teams.controller';

describe(TeamsController.name, () => {
  const config = { listLimit: 2000 } as ConfigType<typeof webexConfig>;

  it('lists the person’s teams with their client, and says how many and whether Webex had more', async () => {
    const list = jest.fn().mockResolvedValue({
      items: [
        { id: 't1', name: 'Build Squad', description: 'The A Team', created: '2015-10-18T14:26:16.000Z' },
        { id: 't2', name: 'Quiet team' },
      ],
      truncated: true,
    });

    const view = await new TeamsController(config).teams({ list } as unknown as WebexClient);

    expect(list).toHaveBeenCalledWith(webexCalls.teams);
    expect(view).toEqual({
      teams: [
        {
          name: 'Build Squad',
          description: 'The A Team',
          created: { iso: '2015-10-18T14:26:16.000Z', label: '18 Oct 2015, 14:26 UTC' },
        },
        { name: 'Quiet team', description: undefined, created: undefined },
      ],
      summary: '2 teams',
      truncated: true,
      limit: 2000,
    });
  });

  it('says “1 team”, and leaves out an empty description and a created time that is not a date', async () => {
    const list = jest.fn().mockResolvedValue({
      items: [{ id: 't', name: 'Solo', description: '', created: 'yesterday' }],
      truncated: false,
    });

    const view = await new TeamsController(config).teams({ list } as unknown as WebexClient);

    expect(view).toMatchObject({ summary: '1 team', truncated: false });
    expect(view.teams).toEqual([{ name: 'Solo', description: undefined, created: undefined }]);
  });
});
