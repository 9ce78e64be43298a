import { SEED_USER_HANDLES, type WebexEmulator } from '../../sandbox';
import { CLIENT, nextLink, startTestEmulator } from '../../sandbox/sandbox.test-helpers';
import type { WebexCall } from '../webex-call';
import { webexCalls } from '../webex.calls';
import { WebexContract } from './webex-contract';

/**
 * What the service reads from an answer, as its declaration says (webex.calls.ts). Webex's
 * document marks no field as required, so this is where "a person has an id" is checked.
 */
function declarationProblems(call: WebexCall, body: unknown): string[] {
  const values = call.kind === 'list' ? ((body as { items?: unknown[] }).items ?? []) : [body];
  const schema = call.kind === 'list' ? call.item : call.answer;
  return values.flatMap((value, index) => {
    const parsed = schema.safeParse(value);
    return parsed.success
      ? []
      : parsed.error.issues.map((issue) => `[${index}] ${issue.path.join('.')}: ${issue.message}`);
  });
}

/** Enough variety to reach every branch of the list: default and extreme page sizes, both types, every order. */
const ROOM_QUERIES: Record<string, string>[] = [
  {},
  { max: '1' },
  { max: '1000' },
  { type: 'direct' },
  { type: 'group', sortBy: 'created' },
  { sortBy: 'lastactivity', max: '250' },
  { sortBy: 'id', type: 'direct', max: '7' },
];

/** Every user with every query, but carol's 2,600 pages of one (~10 s): max=7 gives her small pages. */
const ROOM_CASES = SEED_USER_HANDLES.flatMap((handle) =>
  ROOM_QUERIES.filter((query) => handle !== 'carol' || query.max !== '1').map((query) => [handle, query] as const),
);

/**
 * The emulator stands in for Webex, so every answer the service relies on must be one Webex's
 * OpenAPI description allows. (The emulator's own specs check what it answers; this checks the shape.)
 */
describe('Webex emulator answers, against the OpenAPI contract', () => {
  const contract = WebexContract.load();
  let emulator: WebexEmulator;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    emulator = await startTestEmulator();
    for (const handle of SEED_USER_HANDLES) {
      tokens.set(handle, emulator.controls.issueTokens(handle, CLIENT.clientId).access_token);
    }
  });
  afterAll(() => emulator.close());

  /** GET, expect a 200 the contract allows, and hand back the body and the answer. */
  async function getChecked(url: string, handle: string, call: WebexCall): Promise<{ body: unknown; res: Response }> {
    const res = await fetch(url, { headers: { authorization: `Bearer ${tokens.get(handle)}` } });
    const body = (await res.json()) as unknown;
    const answer = { status: res.status, contentType: res.headers.get('content-type'), body };
    expect({
      url,
      status: res.status,
      problems: contract.answerProblems('GET', url, answer),
      unreadable: declarationProblems(call, body),
    }).toEqual({ url, status: 200, problems: [], unreadable: [] });
    return { body, res };
  }

  it.each(SEED_USER_HANDLES)('GET /v1/people/me for %s', async (handle) => {
    await getChecked(`${emulator.apiBaseUrl}/people/me`, handle, webexCalls.me);
  });

  it.each(ROOM_CASES)('GET /v1/rooms for %s with %j, on every page', async (handle, query) => {
    const roomCount = emulator.users.find((u) => u.handle === handle)?.roomCount;
    const max = Number(query.max ?? 100);
    let url: string | undefined = `${emulator.apiBaseUrl}/rooms?${new URLSearchParams(query)}`;
    // The query itself must be one Webex would take, or the answer proves nothing.
    expect(contract.requestProblems('GET', url)).toEqual([]);
    let rooms = 0;
    while (url) {
      const { body, res } = await getChecked(url, handle, webexCalls.rooms);
      const items = (body as { items: unknown[] }).items;
      expect(items.length).toBeLessThanOrEqual(max);
      rooms += items.length;
      url = nextLink(res);
      if (url) {
        // Webex's next links are opaque, but the service follows them only on the API's own origin.
        const next = new URL(url);
        expect(`${next.origin}${next.pathname}`).toBe(`${emulator.origin}/v1/rooms`);
      }
    }
    if (!query.type) expect(rooms).toBe(roomCount);
  });

  // The emulator has no route for these yet; the contract has them, ready for when it does.
  it.todo('GET /v1/rooms/{roomId} for every room of every seeded user');
  it.todo('GET /v1/memberships for every room of every seeded user, on every page');
});
