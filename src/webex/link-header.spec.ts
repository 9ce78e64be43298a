import { nextLink } from './link-header';

describe(nextLink.name, () => {
  it.each([
    [
      'Webex’s single next link',
      '<https://webexapis.com/v1/rooms?cursor=abc&max=100>; rel="next"',
      'https://webexapis.com/v1/rooms?cursor=abc&max=100',
    ],
    [
      'next among first and prev',
      '<https://x/v1/rooms?c=1>; rel="first", <https://x/v1/rooms?c=3>; rel="next", <https://x/v1/rooms?c=0>; rel="prev"',
      'https://x/v1/rooms?c=3',
    ],
    ['an unquoted rel', '<https://x/a>; rel=next', 'https://x/a'],
    ['several rels in one', '<https://x/a>; rel="last next"', 'https://x/a'],
    ['a comma inside the URI', '<https://x/a?ids=1,2>; rel="next"', 'https://x/a?ids=1,2'],
    ['extra parameters and odd case', '<https://x/a>; title="Next, please"; REL="Next"', 'https://x/a'],
  ])('finds %s', (_case, header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });

  it.each([
    ['no header', undefined],
    ['only a prev link', '<https://x/a>; rel="prev"'],
    ['garbage', 'next; rel=next'],
    ['an empty string', ''],
  ])('finds nothing with %s', (_case, header) => {
    expect(nextLink(header)).toBeUndefined();
  });

  it('reads a header that came as several values', () => {
    expect(nextLink(['<https://x/p>; rel="prev"', '<https://x/n>; rel="next"'])).toBe('https://x/n');
  });
});
