import { screenshot, useSandboxBrowser } from './support/sandbox-browser';
import { backToSpaces, DISPLAY_NAMES, openSpace, openSpaces, roomRowsOf, signInAs } from './support/pages';

/** How many spaces of each person's list are opened (Carol has 2,000 on it). */
const FIRST_FEW = 3;

const ALICE = { name: DISPLAY_NAMES.alice, email: 'alice@example.com' };

describe('The space page in a real browser (sandbox mode)', () => {
  const suite = useSandboxBrowser();

  // Everyone with spaces opens their first few: Alice in this walk, Carol below, Mallory (all
  // four, names that are markup in them) in hostile-content.browser-spec.ts.
  it("walks from Alice's spaces list into her first three: the 1,200-person one, a direct one, a locked one", async () => {
    const { page } = suite;
    await signInAs(suite, 'alice');
    await openSpaces(suite);
    const list = await roomRowsOf(page);
    expect(list.slice(0, FIRST_FEW).map((row) => row.title)).toEqual([
      'Sandbox Team Standup',
      'Dave Example',
      'Release Planning',
    ]);

    await openSpace(suite, 'Release Planning', {
      type: 'Group, locked (moderated)',
      notice: null,
      people: [
        { ...ALICE, role: 'Moderator' },
        { name: 'Grace Sample', email: 'grace@example.com', role: 'Moderator' },
        { name: 'Frank Sample', email: 'frank@example.com', role: 'Member' },
      ],
    });
    await screenshot(page, '08-space');
    await backToSpaces(suite);

    await openSpace(suite, 'Dave Example', {
      type: 'Direct',
      people: [
        { ...ALICE, role: 'Member' },
        { name: 'Dave Example', email: 'dave@example.com', role: 'Member' },
      ],
    });
    await backToSpaces(suite);

    const standup = await openSpace(suite, 'Sandbox Team Standup', { type: 'Group', notice: null });
    expect(standup.people).toHaveLength(1_200);
    expect(new Set(standup.people.map((person) => person.email)).size).toBe(1_200);
    expect(standup.people).toContainEqual({ ...ALICE, role: 'Member' });
    expect(standup.people.filter((person) => person.role === 'Moderator').map((person) => person.name)).toEqual([
      'Teammate 0001',
      'Teammate 0002',
    ]);
    await backToSpaces(suite);
    expect(await roomRowsOf(page)).toEqual(list);
  });

  it('reaches a space from the list with Tab and Enter, and the list again from the space', async () => {
    await signInAs(suite, 'alice');
    await openSpaces(suite);

    await openSpace(suite, 'Release Planning', { type: 'Group, locked (moderated)' }, 'keyboard');
    await backToSpaces(suite, 'keyboard');
  });

  it(`lets Carol open each of the first ${FIRST_FEW} of the 2,000 spaces on her list, and finds her in each`, async () => {
    const { page } = suite;
    const carol = { name: DISPLAY_NAMES.carol, email: 'carol@example.com' };
    await signInAs(suite, 'carol');
    await openSpaces(suite);
    const titles = (await roomRowsOf(page, { first: FIRST_FEW })).map((row) => row.title);
    expect(titles).toHaveLength(FIRST_FEW);

    for (const title of titles) {
      const space = await openSpace(suite, title);
      expect(space.people.filter((person) => person.email === carol.email)).toEqual([{ ...carol, role: 'Member' }]);
      await backToSpaces(suite);
    }
  });
});
