import { signedIn } from './support/flow';
import { h1Of, leaksIn, roomTitlesOf, textOf, timesOf } from './support/html';
import { useSuiteApp } from './support/suite';

describe('The teams page', () => {
  const suite = useSuiteApp();
  const requests = () => suite.emulator.controls.stats().requests.teams ?? 0;

  it('lists the teams the person is in, with their descriptions, linked from the header', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');

    const page = await agent.get('/teams');

    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(h1Of(page.text)).toBe('Webex Integration example: Your teams');
    expect(roomTitlesOf(page.text)).toEqual(['Sandbox Team']);
    expect(textOf(page.text)).toContain('Everyone who builds the sandbox');
    expect(timesOf(page.text)).toHaveLength(1);
    expect(page.text).toContain('<a href="/teams" aria-current="page">Teams</a>');
    expect((await agent.get('/')).text).toContain('<a href="/teams">Teams</a>');
  });

  it('lists all of a busy person’s teams, and says so when someone is in none', async () => {
    const carol = await signedIn(suite.booted.agent(), suite.emulator, 'carol');
    const bob = await signedIn(suite.booted.agent(), suite.emulator, 'bob');

    const busy = await carol.get('/teams');
    const none = await bob.get('/teams');

    expect(roomTitlesOf(busy.text)).toEqual([
      "Carol's planning team",
      "Carol's design team",
      "Carol's build team",
      "Carol's launch team",
      "Carol's retro team",
    ]);
    expect(textOf(busy.text)).toContain('5 teams');
    expect(none.status).toBe(200);
    expect(textOf(none.text)).toContain('You are not in any teams yet.');
  });

  it('shows names and descriptions that are markup as text', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'mallory');

    const page = await agent.get('/teams');

    expect(page.text).not.toMatch(/<script|<b>/i);
    expect(roomTitlesOf(page.text)).toEqual(['<b>Bold</b> & "Team"']);
    expect(textOf(page.text)).toContain('<script>alert("team")</script>');
  });

  it.each([
    ['a 403', { kind: 'status', status: 403 } as const, 403, /needs the spark:teams_read scope/],
    ['a 500', { kind: 'status', status: 500 } as const, 502, /could not be reached/],
    ['a 429', { kind: 'rate-limit', retryAfterSeconds: 9 } as const, 503, /try again in 9 seconds/],
  ])('explains %s from Webex, and keeps the person signed in', async (_case, fault, status, words) => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    suite.emulator.controls.injectFault({ route: 'teams', times: Infinity, ...fault });

    const page = await agent.get('/teams');

    expect(page.status).toBe(status);
    expect(textOf(page.text)).toMatch(words);
    expect(textOf(page.text)).toMatch(/Webex tracking id/);
    suite.emulator.controls.clearFaults();
    expect((await agent.get('/teams')).status).toBe(200);
  });

  it('sends a signed-out visitor to sign in, without asking Webex', async () => {
    const before = requests();

    const page = await suite.booted.agent().get('/teams');

    expect(page.status).toBe(303);
    expect(requests()).toBe(before);
  });

  it('never puts a token in the page', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    expect(leaksIn((await agent.get('/teams')).text)).toEqual([]);
  });

  describe('with an integration that lacks spark:teams_read', () => {
    const tutorial = useSuiteApp({
      emulator: { grantedScopes: ['spark:people_read', 'spark:rooms_read', 'spark:kms'] },
    });

    it('signs in, has no Teams link, and answers the page with 403 naming the scope', async () => {
      const agent = await signedIn(tutorial.booted.agent(), tutorial.emulator, 'alice');

      const home = await agent.get('/');
      const page = await agent.get('/teams');

      expect(home.text).not.toContain('href="/teams"');
      expect(page.status).toBe(403);
      expect(textOf(page.text)).toMatch(/The teams list needs the Webex scope spark:teams_read/);
      expect(tutorial.emulator.controls.stats().requests.teams ?? 0).toBe(0);
    });
  });
});
