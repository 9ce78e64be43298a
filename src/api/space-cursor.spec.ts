import { pageStart, SpaceCursorCodec } from './space-cursor';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const OLD_SECRET = 'the-previous-session-secret-32-characters';

describe(SpaceCursorCodec.name, () => {
  const cursor = { after: 'room-3', at: '2026-12-01T10:00:00.000Z', user: 'alice' };

  it('reads back what it wrote', () => {
    const codec = new SpaceCursorCodec([SECRET]);

    expect(codec.decode(codec.encode(cursor))).toEqual(cursor);
  });

  it('is opaque text safe in a query string', () => {
    expect(new SpaceCursorCodec([SECRET]).encode(cursor)).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('still reads cursors made with a previous secret, while it is listed', () => {
    const before = new SpaceCursorCodec([OLD_SECRET]).encode(cursor);

    expect(new SpaceCursorCodec([SECRET, OLD_SECRET]).decode(before)).toEqual(cursor);
    expect(new SpaceCursorCodec([SECRET]).decode(before)).toBeUndefined();
  });

  it.each([
    [
      'an altered body',
      (text: string) => `${Buffer.from('{"v":1,"a":"x","u":"alice"}').toString('base64url')}.${text.split('.')[1]}`,
    ],
    ['an altered signature', (text: string) => `${text.slice(0, -2)}AA`],
    ['no signature', (text: string) => text.split('.')[0]],
    ['an extra part', (text: string) => `${text}.x`],
    ['garbage', () => 'not a cursor'],
  ])('refuses %s', (_name, tamper) => {
    const codec = new SpaceCursorCodec([SECRET]);

    expect(codec.decode(tamper(codec.encode(cursor)))).toBeUndefined();
  });
});

describe(pageStart.name, () => {
  const items = [
    { id: 'a', lastActivity: '2026-12-04' },
    { id: 'b', lastActivity: '2026-12-03' },
    { id: 'c', lastActivity: '2026-12-02' },
    { id: 'd', lastActivity: '2026-12-01' },
  ];

  it.each([
    ['just after the cursor’s space', { after: 'b', at: '2026-12-03', user: 'u' }, 2],
    ['after the last space: the end', { after: 'd', at: '2026-12-01', user: 'u' }, 4],
    ['at the first older space, when the cursor’s has gone', { after: 'x', at: '2026-12-02T12:00', user: 'u' }, 2],
    ['at the end, for a gone space with no time', { after: 'x', user: 'u' }, 4],
  ])('starts %s', (_name, cursor, start) => {
    expect(pageStart(items, cursor)).toBe(start);
  });
});
