import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { WebexClient } from '../auth';
import { webexCalls } from '../webex';
import { SpaceController, SpaceParams, toSpaceView } from './space.controller';

const ROOM = {
  id: 'Y2lzY29zcGFyazovL3VzL1JPT00vYWJj',
  title: 'Release Planning',
  type: 'group' as const,
  isLocked: true,
  created: '2024-01-08T09:40:00.000Z',
  lastActivity: 'not a date',
};

describe(SpaceController.name, () => {
  it.each(['Y2lzY29zcGFyazovL3VzL1JPT00vYWJj', 'abc-_=', 'a+b/c'])('takes %s as a space id', (roomId) => {
    expect(validateSync(plainToInstance(SpaceParams, { roomId }))).toEqual([]);
  });

  it.each([
    ['nothing', ''],
    ['a space', 'has space'],
    ['a semicolon', 'semi;colon'],
    ['markup', '<script>'],
    ['513 characters', 'x'.repeat(513)],
    ['letters outside base64', 'ünïcode'],
  ])('refuses an id with %s before asking Webex', (_case, roomId) => {
    expect(validateSync(plainToInstance(SpaceParams, { roomId }))).not.toEqual([]);
  });

  it('asks Webex for the space and its people with the person’s client, and shows both', async () => {
    const get = jest.fn().mockResolvedValue(ROOM);
    const list = jest.fn().mockResolvedValue({
      items: [
        { id: 'm1', personDisplayName: 'Alice', personEmail: 'alice@example.com', isModerator: true },
        { id: 'm2', personEmail: 'nameless@example.com' },
        { id: 'm3' },
      ],
      truncated: true,
    });
    const view = await new SpaceController().space({ get, list } as unknown as WebexClient, { roomId: ROOM.id });

    expect(get).toHaveBeenCalledWith(webexCalls.room, { params: { roomId: ROOM.id } });
    expect(list).toHaveBeenCalledWith(webexCalls.memberships, { query: { roomId: ROOM.id } });
    expect(view).toEqual({
      room: {
        title: 'Release Planning',
        type: 'Group',
        locked: true,
        created: { iso: '2024-01-08T09:40:00.000Z', label: '8 Jan 2024, 09:40 UTC' },
        lastActivity: undefined,
      },
      members: [
        { name: 'Alice', email: 'alice@example.com', moderator: true },
        { name: 'nameless@example.com', email: 'nameless@example.com', moderator: false },
        { name: 'Someone', email: undefined, moderator: false },
      ],
      summary: '3 people',
      truncated: true,
    });
  });

  it('shows a direct space as such, unlocked when Webex does not say', () => {
    const view = toSpaceView({ id: 'r', title: 'Dave Example', type: 'direct' }, { items: [], truncated: false });
    expect(view.room).toMatchObject({ type: 'Direct', locked: false, created: undefined });
  });
});
